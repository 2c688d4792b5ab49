"""Hand4Whole: whole-body SMPL-X parameters from one 512x384 person crop.

The ``main`` branch of mks0601/Hand4Whole_RELEASE (Moon et al., CVPRW 2022); every
step below follows CHECKPOINTS.md §2.2. The SMPL-X layer is not part of this module
(the released file has none of its keys): the network outputs parameters.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from wholebody_core.networks.heads import PositionNet, conv_stack, deconv_stack, linear_stack, pooled_joint_features
from wholebody_core.networks.ops import (camera_trans_from_cam_param, restore_bbox, roi_align, rot6d_to_rotvec,
                                         sample_joint_features, soft_argmax_2d)
from wholebody_core.networks.pose2pose import unmirror_hand_rotvec
from wholebody_core.networks.registry import NetworkConfig, register_network
from wholebody_core.networks.resnet import ResNetTrunk

HAND4WHOLE_CONFIG = NetworkConfig(
    name="hand4whole",
    input_shape_hw=(512, 384),
    pixel_scale=255.0, pixel_mean=(0.0, 0.0, 0.0), pixel_std=(1.0, 1.0, 1.0),  # RGB / 255 (§2.1 step 4)
    bbox_aspect_wh=0.75,
    # The virtual camera belongs to the 256x192 body input, not the 512x384 crop (§2.4).
    virtual_focal=(5000.0, 5000.0), virtual_princpt=(96.0, 128.0), virtual_camera_hw=(256, 192),
    camera_3d_size=2.5,
    checkpoint_file="snapshot_6.pth.tar",
    source="mks0601/Hand4Whole_RELEASE branch main (Moon et al., CVPRW 2022), main/model.py",
    licence="code MIT; released weights: see the repository's README (H36M + MPII + MSCOCO)",
)

BODY_INPUT_HW = (256, 192)
BODY_HM_DHW = (8, 8, 6)
HAND_INPUT_HW = (256, 256)
HAND_HM_DHW = (8, 8, 8)
FACE_INPUT_HW = (192, 192)
HAND_MCP_JOINTS = (4, 8, 12, 16)  # Index_1, Middle_1, Ring_1, Pinky_1 in the 20 hand joints (§2.2)


@dataclass
class Hand4WholeOutput:
    """Hand4Whole's result for N person crops (SMPL-X parameters, OpenCV virtual camera).

    joint_img: (N, 65, 3) positional pose: 25 body, 20 left-hand, 20 right-hand joints
        (§2.6 order). x, y in body-heatmap units (x in [0,6), y in [0,8); times 32 gives
        256x192 pixels, times 64 the 512x384 crop); z is the depth bin (body: 8 bins over
        2 m; hands: their own 8 bins over 0.3 m).
    root_pose: (N, 3) SMPL-X global orientation, axis-angle, camera orientation.
    body_pose: (N, 21, 3) SMPL-X body joints 1..21, axis-angle, local.
    lhand_pose, rhand_pose: (N, 15, 3) finger joints in SMPL-X order, axis-angle, offsets
        from the SMPL-X mean hand pose (flat_hand_mean=False); the left one un-mirrored.
    jaw_pose: (N, 3) axis-angle.
    shape: (N, 10) betas. expr: (N, 10) expression coefficients.
    cam_trans: (N, 3) metres, the SMPL-X origin's translation in the virtual camera of the
        256x192 body input (focal 5000, principal point (96, 128)).
    lhand_bbox, rhand_bbox, face_bbox: (N, 4) xyxy in 512x384 crop pixels.
    """

    joint_img: torch.Tensor
    root_pose: torch.Tensor
    body_pose: torch.Tensor
    lhand_pose: torch.Tensor
    rhand_pose: torch.Tensor
    jaw_pose: torch.Tensor
    shape: torch.Tensor
    expr: torch.Tensor
    cam_trans: torch.Tensor
    lhand_bbox: torch.Tensor
    rhand_bbox: torch.Tensor
    face_bbox: torch.Tensor


class BoxNet(nn.Module):
    """Hand and face boxes from the body feature and the body heatmaps."""

    def __init__(self):
        super().__init__()
        self.deconv = deconv_stack([2048 + 25 * BODY_HM_DHW[0], 256, 256, 256])
        self.bbox_center = conv_stack([256, 3], bn_relu_final=False)
        self.lhand_size = linear_stack([256, 256, 2])
        self.rhand_size = linear_stack([256, 256, 2])
        self.face_size = linear_stack([256, 256, 2])

    def forward(self, feature: torch.Tensor, body_heatmap: torch.Tensor):
        """(N, 2048, 8, 6), (N, 25, 8, 8, 6) softmaxed -> centres and sizes, each (N, 2), 8x6 units.

        Order: lhand centre, lhand size, rhand centre, rhand size, face centre, face size.
        """
        n = feature.shape[0]
        x = self.deconv(torch.cat((feature, body_heatmap.reshape(n, -1, *BODY_HM_DHW[1:])), dim=1))
        centres = soft_argmax_2d(self.bbox_center(x))  # (N, 3, 2) in 64x48 units
        out = []
        for index, head in enumerate((self.lhand_size, self.rhand_size, self.face_size)):
            centre = centres[:, index]
            size = head(sample_joint_features(x, centre[:, None, :].detach())[:, 0])
            out += [centre / 8, size]
        return tuple(out)


class BodyRotationNet(nn.Module):
    """Root and body 6D rotations from body-joint and hand-MCP features; shape and camera."""

    def __init__(self):
        super().__init__()
        joints = 25 + 4 + 4
        self.body_conv = conv_stack([2048, 512])
        self.lhand_conv = conv_stack([2048, 512])
        self.rhand_conv = conv_stack([2048, 512])
        self.root_pose_out = linear_stack([joints * 515, 6])
        self.body_pose_out = linear_stack([joints * 515, 21 * 6])
        self.shape_out = linear_stack([2048, 10])
        self.cam_out = linear_stack([2048, 3])

    def forward(self, feature, joint_img, lhand_feature, lhand_mcp, rhand_feature, rhand_mcp):
        n = feature.shape[0]
        pooled = feature.mean(dim=(2, 3))
        joints = torch.cat((pooled_joint_features(self.body_conv(feature), joint_img),
                            pooled_joint_features(self.lhand_conv(lhand_feature), lhand_mcp),
                            pooled_joint_features(self.rhand_conv(rhand_feature), rhand_mcp)), dim=1).reshape(n, -1)
        return self.root_pose_out(joints), self.body_pose_out(joints), self.shape_out(pooled), self.cam_out(pooled)


class HandRotationNet(nn.Module):
    """15 finger 6D rotations from features sampled at the 20 hand joints."""

    def __init__(self):
        super().__init__()
        self.hand_conv = conv_stack([2048, 512])
        self.hand_pose_out = linear_stack([20 * 515, 15 * 6])

    def forward(self, feature: torch.Tensor, joint_img: torch.Tensor) -> torch.Tensor:
        n = feature.shape[0]
        return self.hand_pose_out(pooled_joint_features(self.hand_conv(feature), joint_img).reshape(n, -1))


class FaceRegressor(nn.Module):
    """Expression and jaw 6D from the pooled ResNet-18 face feature."""

    def __init__(self):
        super().__init__()
        self.expr_out = linear_stack([512, 10])
        self.jaw_pose_out = linear_stack([512, 6])

    def forward(self, feature: torch.Tensor):
        pooled = feature.mean(dim=(2, 3))
        return self.expr_out(pooled), self.jaw_pose_out(pooled)


class RoIBackbone(nn.Module):
    """Holds a part's trunk under the released name ``<part>_roi_net.backbone``."""

    def __init__(self, depth: int):
        super().__init__()
        self.backbone = ResNetTrunk(depth)

    def forward(self, crops: torch.Tensor) -> torch.Tensor:
        return self.backbone(crops)


def crop_parts(image: torch.Tensor, boxes_body_xyxy: torch.Tensor, output_hw: tuple[int, int]) -> torch.Tensor:
    """roi_align crops of the 512x384 image: (N, 3, 512, 384), (N, 4) xyxy in 256x192 units -> (N, 3, oh, ow).

    Box coordinates are scaled by 512/256 and 384/192 first (§2.2 "Hand crop").
    """
    scale = boxes_body_xyxy.new_tensor([image.shape[3] / BODY_INPUT_HW[1], image.shape[2] / BODY_INPUT_HW[0]] * 2)
    index = torch.arange(image.shape[0], device=image.device)
    return roi_align(image, boxes_body_xyxy * scale, index, output_hw)


def hand_joints_to_body_hm(joint_img: torch.Tensor, box_body_xyxy: torch.Tensor) -> torch.Tensor:
    """(N, J, 3) hand joints in 8x8 box units + (N, 4) box (256x192 xyxy) -> (N, J, 3) body-heatmap x, y.

    The reference's test-mode mapping (z unchanged, still in hand bins).
    """
    sx = BODY_HM_DHW[2] / BODY_INPUT_HW[1]
    sy = BODY_HM_DHW[1] / BODY_INPUT_HW[0]
    w = (box_body_xyxy[:, None, 2] - box_body_xyxy[:, None, 0]) * sx
    h = (box_body_xyxy[:, None, 3] - box_body_xyxy[:, None, 1]) * sy
    x = joint_img[..., 0] * w / HAND_HM_DHW[2] + box_body_xyxy[:, None, 0] * sx
    y = joint_img[..., 1] * h / HAND_HM_DHW[1] + box_body_xyxy[:, None, 1] * sy
    return torch.stack((x, y, joint_img[..., 2]), dim=-1)


def unflip_hand_joint_img(joint_img: torch.Tensor) -> torch.Tensor:
    """(N, J, 3) mirrored-hand joints -> left-hand joints: x -> 8 - 1 - x in heatmap units.

    As written in the reference (§2.2 "Un-flipping the left hand"); the author notes it
    is pixel-misaligned, but the released model was trained and evaluated with it.
    """
    return torch.cat((HAND_HM_DHW[2] - 1 - joint_img[..., :1], joint_img[..., 1:]), dim=-1)


@register_network(HAND4WHOLE_CONFIG)
class Hand4Whole(nn.Module):
    """(N, 3, 512, 384) RGB/255 person crop -> :class:`Hand4WholeOutput`; 834 keys."""

    config = HAND4WHOLE_CONFIG

    def __init__(self):
        super().__init__()
        self.backbone = ResNetTrunk(50)
        self.body_position_net = PositionNet(2048, 25, BODY_HM_DHW)
        self.body_rotation_net = BodyRotationNet()
        self.box_net = BoxNet()
        self.hand_roi_net = RoIBackbone(50)
        self.hand_position_net = PositionNet(2048, 20, HAND_HM_DHW)
        self.hand_rotation_net = HandRotationNet()
        self.face_roi_net = RoIBackbone(18)
        self.face_regressor = FaceRegressor()

    def forward(self, image: torch.Tensor) -> Hand4WholeOutput:
        n = image.shape[0]
        # Body input: default 'nearest' interpolation; with the exact 2x factor it keeps every other pixel.
        feature = self.backbone(F.interpolate(image, BODY_INPUT_HW))
        body_heatmap, body_joint_img = self.body_position_net(feature)
        lc, ls, rc, rs, fc, fs = self.box_net(feature, body_heatmap.detach())
        lhand_box = restore_bbox(lc, ls, HAND_INPUT_HW[1] / HAND_INPUT_HW[0], 2.0).detach()
        rhand_box = restore_bbox(rc, rs, HAND_INPUT_HW[1] / HAND_INPUT_HW[0], 2.0).detach()
        face_box = restore_bbox(fc, fs, FACE_INPUT_HW[1] / FACE_INPUT_HW[0], 1.5).detach()

        # Hands: left crops mirrored to look like right hands; batch = [left; right].
        lhand_crop = torch.flip(crop_parts(image, lhand_box, HAND_INPUT_HW), dims=[3])
        rhand_crop = crop_parts(image, rhand_box, HAND_INPUT_HW)
        hand_feature = self.hand_roi_net(torch.cat((lhand_crop, rhand_crop)))
        _, hand_joint_img = self.hand_position_net(hand_feature)
        hand_pose = rot6d_to_rotvec(self.hand_rotation_net(hand_feature, hand_joint_img.detach()).reshape(2 * n, 15, 6))
        lhand_joint_img = unflip_hand_joint_img(hand_joint_img[:n])
        rhand_joint_img = hand_joint_img[n:]
        lhand_pose = unmirror_hand_rotvec(hand_pose[:n])
        rhand_pose = hand_pose[n:]
        lhand_feature = torch.flip(hand_feature[:n], dims=[3])
        rhand_feature = hand_feature[n:]

        mcp = list(HAND_MCP_JOINTS)
        root6d, body6d, shape, cam = self.body_rotation_net(
            feature, body_joint_img.detach(), lhand_feature, lhand_joint_img[:, mcp].detach(),
            rhand_feature, rhand_joint_img[:, mcp].detach())

        expr, jaw6d = self.face_regressor(self.face_roi_net(crop_parts(image, face_box, FACE_INPUT_HW)))

        joint_img = torch.cat((body_joint_img, hand_joints_to_body_hm(lhand_joint_img, lhand_box),
                               hand_joints_to_body_hm(rhand_joint_img, rhand_box)), dim=1)
        to_crop = lhand_box.new_tensor([image.shape[3] / BODY_INPUT_HW[1], image.shape[2] / BODY_INPUT_HW[0]] * 2)
        return Hand4WholeOutput(
            joint_img=joint_img,
            root_pose=rot6d_to_rotvec(root6d),
            body_pose=rot6d_to_rotvec(body6d.reshape(n, 21, 6)),
            lhand_pose=lhand_pose, rhand_pose=rhand_pose,
            jaw_pose=rot6d_to_rotvec(jaw6d),
            shape=shape, expr=expr,
            cam_trans=camera_trans_from_cam_param(cam, self.config.k_value),
            lhand_bbox=lhand_box * to_crop, rhand_bbox=rhand_box * to_crop, face_bbox=face_box * to_crop)
