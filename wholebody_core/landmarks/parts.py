"""One kept body -> its :class:`PersonObservation`: the body's landmarks as the
solver takes them, then the hands and the face cropped from them (as MediaPipe
Holistic does), each dropped where too small or not found."""
from __future__ import annotations

import numpy as np

from wholebody_core.landmarks.body import BodyLandmarks
from wholebody_core.landmarks.candidates import running_appearance
from wholebody_core.landmarks.face import BODY_FACE_SCALES, FACE_FLAG_THRESHOLD, FaceLandmarker, face_roi_from_body
from wholebody_core.landmarks.hands import HandLandmarker
from wholebody_core.landmarks.options import LandmarkOptions
from wholebody_core.landmarks.people import Accepted, unseen_outside_image
from wholebody_core.landmarks.types import (
    BODY_HAND_POINTS, NOSE, FaceObservation, HandObservation, PersonObservation,
)
from wholebody_core.maths.rotated_rect import rect_bbox_xyxy

# which of the face mesh's eyes is the person's own left (checked on renders)
OWN_LEFT_EYE_IS_FLIPPED = True


def body_observation(image_rgb: np.ndarray, person: Accepted) -> PersonObservation:
    """The kept body as the solver takes it (no hands or face yet): landmarks outside
    the image marked unseen, the next frame's tracking crop, the running clothes."""
    body = person.body
    seen = unseen_outside_image(body.points_px, body.visibility, image_rgb.shape[1], image_rgb.shape[0])
    body_2d = np.concatenate([body.points_px, seen[:, None]], axis=1).astype(np.float32)
    return PersonObservation(bbox_xyxy=person.bbox_xyxy, score=float(person.score), body_2d=body_2d,
                             body_3d=body.world_cam.astype(np.float32), roi_px=body.next_roi.as_array(),
                             appearance=running_appearance(image_rgb, person))


def hand_observation(hands: HandLandmarker, image_rgb: np.ndarray, body: BodyLandmarks, side: str,
                     options: LandmarkOptions) -> HandObservation | None:
    """The hand on the body's ``side`` ("left", "right": own sides), or None."""
    wrist, pinky, index = BODY_HAND_POINTS[side]
    if body.visibility[wrist] < options.min_wrist_visibility:
        return None
    pts = body.points_px
    roi = hands.roi_from_body(image_rgb, pts[wrist], pts[pinky], pts[index])
    if roi.width < options.min_hand_crop_px:
        return None  # too few pixels for fingers: the model would guess
    hand = hands(image_rgb, roi)
    if hand.presence < options.min_hand_presence:
        return None
    return HandObservation(points_2d=hand.points_px.astype(np.float32),
                           points_3d=hand.world_cam.astype(np.float32),
                           score=float(hand.presence), bbox_xyxy=rect_bbox_xyxy(roi).astype(np.float32))


def face_observation(face_model: FaceLandmarker, image_rgb: np.ndarray, body: BodyLandmarks,
                     previous_face: FaceObservation | None, options: LandmarkOptions,
                     tracked: bool = False) -> FaceObservation | None:
    """The body's face mesh and irises, or None. ``previous_face``: last frame's face of
    this person (its mesh gives the crop while it still sits on this body's face).
    ``tracked``: the person was there last frame (then without a face unless
    ``previous_face``): one crop size only, as the face is likely still hidden."""
    if face_roi_from_body(body.points_px).width < options.min_face_crop_px:
        return None
    prev_pts = None if previous_face is None else np.asarray(previous_face.points_2d, dtype=np.float64)
    if prev_pts is not None:
        # last frame's mesh must still sit on this body's face
        width = float(np.ptp(prev_pts[:, 0])) + 1.0
        if np.linalg.norm(prev_pts.mean(axis=0) - body.points_px[NOSE]) > width:
            prev_pts = None
    face = face_model(image_rgb, body.points_px, prev_pts, tries=1 if tracked else len(BODY_FACE_SCALES))
    if face.presence < FACE_FLAG_THRESHOLD and prev_pts is not None:
        face = face_model(image_rgb, body.points_px, None, tries=1)
    if face.presence < FACE_FLAG_THRESHOLD:
        return None
    iris = None
    if face.iris_flipped_px is not None and face.iris_unflipped_px is not None:
        left, right = ((face.iris_flipped_px, face.iris_unflipped_px) if OWN_LEFT_EYE_IS_FLIPPED
                       else (face.iris_unflipped_px, face.iris_flipped_px))
        iris = np.stack([left, right]).astype(np.float32)
    return FaceObservation(points_2d=face.points_px.astype(np.float32),
                           points_3d=face.points_3d.astype(np.float32), score=float(face.presence),
                           bbox_xyxy=rect_bbox_xyxy(face.roi).astype(np.float32), iris_2d=iris)
