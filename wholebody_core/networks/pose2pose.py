"""Pose2Pose body-only (SMPL), hand-only (MANO) and face-only (FLAME) networks.

The ``Pose2Pose`` branch of mks0601/Hand4Whole_RELEASE (CHECKPOINTS.md §5): a
ResNet-50, a positional pose from 3D heatmaps, features pooled at the joints, and
linear heads giving 6D rotations, shape and a camera. The face model is a plain
regressor on the pooled feature. No body-model layer is part of these modules: they
output parameters; meshes come from a separate SMPL/MANO/FLAME object.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from wholebody_core.networks.heads import PositionNet, linear_stack, conv_stack, pooled_joint_features
from wholebody_core.networks.ops import camera_trans_from_cam_param, rot6d_to_rotvec
from wholebody_core.networks.registry import NetworkConfig, register_network
from wholebody_core.networks.resnet import ResNetTrunk

_SOURCE = "mks0601/Hand4Whole_RELEASE branch Pose2Pose (Moon et al., CVPRW 2022), main/model.py"
_LICENCE = "code MIT; released weights: see the repository's README (training sets in CHECKPOINTS.md §5.1)"


def _config(name: str, shape_hw: tuple[int, int], aspect: float, camera_3d_size: float, ckpt: str) -> NetworkConfig:
    return NetworkConfig(
        name=name, input_shape_hw=shape_hw,
        pixel_scale=255.0, pixel_mean=(0.0, 0.0, 0.0), pixel_std=(1.0, 1.0, 1.0),  # RGB / 255 (§5.2 step 4)
        bbox_aspect_wh=aspect,
        virtual_focal=(5000.0, 5000.0), virtual_princpt=(shape_hw[1] / 2, shape_hw[0] / 2), virtual_camera_hw=shape_hw,
        camera_3d_size=camera_3d_size, checkpoint_file=ckpt, source=_SOURCE, licence=_LICENCE)


BODY_CONFIG = _config("pose2pose_body", (256, 192), 0.75, 2.5, "snapshot_6_body.pth.tar")
HAND_CONFIG = _config("pose2pose_hand", (256, 256), 1.0, 0.4, "snapshot_12_hand.pth.tar")
FACE_CONFIG = _config("pose2pose_face", (256, 192), 0.75, 0.4, "snapshot_12_face.pth.tar")


@dataclass
class Pose2PoseBodyOutput:
    """Body-only Pose2Pose result for N crops (SMPL parameters, OpenCV virtual camera).

    joint_img: (N, 25, 3) positional pose (x, y, z) in 8x8x6 heatmap units (x in [0,6),
        y in [0,8), z depth bin in [0,8)); the 25 body joints of CHECKPOINTS.md §5.4.
    root_pose: (N, 3) SMPL global orientation, axis-angle, camera orientation.
    body_pose: (N, 21, 3) SMPL joints 1..21 (L_Hip..R_Wrist), axis-angle, local;
        SMPL's hands (22, 23) are zero (see :attr:`smpl_pose`).
    shape: (N, 10) SMPL betas.
    cam_trans: (N, 3) metres, translation of the SMPL origin in the 256x192 virtual camera
        (focal 5000, principal point (96, 128)).
    """

    joint_img: torch.Tensor
    root_pose: torch.Tensor
    body_pose: torch.Tensor
    shape: torch.Tensor
    cam_trans: torch.Tensor

    @property
    def smpl_pose(self) -> torch.Tensor:
        """(N, 72): root, 21 body joints, two zero hand joints, axis-angle (the reference's layout)."""
        n = self.root_pose.shape[0]
        zeros = self.root_pose.new_zeros(n, 6)
        return torch.cat((self.root_pose, self.body_pose.reshape(n, 63), zeros), dim=1)


@dataclass
class Pose2PoseHandOutput:
    """Hand-only Pose2Pose result for N right-hand-looking crops (MANO right).

    joint_img: (N, 21, 3) (x, y, z) in 8x8x8 heatmap units; Wrist, Thumb_1-4 .. Pinky_1-4.
    root_pose: (N, 3) MANO global (wrist) rotation, axis-angle, camera orientation.
    hand_pose: (N, 15, 3) MANO finger joints in MANO order, axis-angle, offsets from the
        MANO mean pose (flat_hand_mean=False).
    shape: (N, 10) MANO betas.
    cam_trans: (N, 3) metres, MANO origin in the 256x256 virtual camera (f 5000, c (128, 128)).
    For a mirrored left-hand crop, un-mirror with :func:`unmirror_hand_rotvec` (§5.5).
    """

    joint_img: torch.Tensor
    root_pose: torch.Tensor
    hand_pose: torch.Tensor
    shape: torch.Tensor
    cam_trans: torch.Tensor


@dataclass
class Pose2PoseFaceOutput:
    """Face-only Pose2Pose result for N crops (FLAME).

    root_pose: (N, 3) FLAME global rotation, axis-angle, camera orientation.
    jaw_pose: (N, 3) axis-angle. shape: (N, 10). expr: (N, 10).
    cam_trans: (N, 3) metres, FLAME origin in the 256x192 virtual camera (f 5000, c (96, 128)).
    """

    root_pose: torch.Tensor
    jaw_pose: torch.Tensor
    shape: torch.Tensor
    expr: torch.Tensor
    cam_trans: torch.Tensor


def unmirror_hand_rotvec(rotvec: torch.Tensor) -> torch.Tensor:
    """(..., 3) axis-angle of a mirrored (left-as-right) hand -> the left hand's: (ax, -ay, -az)."""
    return torch.cat((rotvec[..., :1], -rotvec[..., 1:3]), dim=-1)


class JointRotationNet(nn.Module):
    """Pose2Pose's RotationNet: shape and camera from the pooled feature, 6D rotations
    from features sampled at the positional joints (CHECKPOINTS.md §5.0)."""

    def __init__(self, num_joints: int, num_rotations: int):
        super().__init__()
        pooled = num_joints * (512 + 3)
        self.conv = conv_stack([2048, 512])
        self.root_pose_out = linear_stack([pooled, 6])
        self.pose_out = linear_stack([pooled, num_rotations * 6])
        self.shape_out = linear_stack([2048, 10])
        self.cam_out = linear_stack([2048, 3])

    def forward(self, feature: torch.Tensor, joint_img: torch.Tensor):
        """(N, 2048, h, w), (N, J, 3) -> root 6D (N, 6), pose 6D (N, R*6), shape (N, 10), cam (N, 3)."""
        n = feature.shape[0]
        pooled = feature.mean(dim=(2, 3))
        flat = pooled_joint_features(self.conv(feature), joint_img).reshape(n, -1)
        return self.root_pose_out(flat), self.pose_out(flat), self.shape_out(pooled), self.cam_out(pooled)


class _PositionalPose2Pose(nn.Module):
    """Body and hand models: backbone, position_net, rotation_net (335 keys)."""

    config: NetworkConfig
    num_joints: int
    num_rotations: int
    hm_shape_dhw: tuple[int, int, int]

    def __init__(self):
        super().__init__()
        self.backbone = ResNetTrunk(50)
        self.position_net = PositionNet(2048, self.num_joints, self.hm_shape_dhw)
        self.rotation_net = JointRotationNet(self.num_joints, self.num_rotations)

    def _forward(self, image: torch.Tensor):
        feature = self.backbone(image)
        _, joint_img = self.position_net(feature)
        root6d, pose6d, shape, cam = self.rotation_net(feature, joint_img.detach())
        n = image.shape[0]
        root_pose = rot6d_to_rotvec(root6d)
        pose = rot6d_to_rotvec(pose6d.reshape(n, self.num_rotations, 6))
        cam_trans = camera_trans_from_cam_param(cam, self.config.k_value)
        return joint_img, root_pose, pose, shape, cam_trans


@register_network(BODY_CONFIG)
class Pose2PoseBody(_PositionalPose2Pose):
    """(N, 3, 256, 192) RGB/255 body crop -> :class:`Pose2PoseBodyOutput` (SMPL)."""

    config = BODY_CONFIG
    num_joints = 25
    num_rotations = 21
    hm_shape_dhw = (8, 8, 6)

    def forward(self, image: torch.Tensor) -> Pose2PoseBodyOutput:
        joint_img, root_pose, pose, shape, cam_trans = self._forward(image)
        return Pose2PoseBodyOutput(joint_img, root_pose, pose, shape, cam_trans)


@register_network(HAND_CONFIG)
class Pose2PoseHand(_PositionalPose2Pose):
    """(N, 3, 256, 256) RGB/255 right-hand(-looking) crop -> :class:`Pose2PoseHandOutput` (MANO)."""

    config = HAND_CONFIG
    num_joints = 21
    num_rotations = 15
    hm_shape_dhw = (8, 8, 8)

    def forward(self, image: torch.Tensor) -> Pose2PoseHandOutput:
        joint_img, root_pose, pose, shape, cam_trans = self._forward(image)
        return Pose2PoseHandOutput(joint_img, root_pose, pose, shape, cam_trans)


class FaceParamRegressor(nn.Module):
    """The face model's ``regressor``: four linear heads on the pooled 2048-d feature."""

    def __init__(self):
        super().__init__()
        self.pose_out = linear_stack([2048, 12])  # root 6D = [0:6], jaw 6D = [6:12]
        self.shape_out = linear_stack([2048, 10])
        self.expr_out = linear_stack([2048, 10])
        self.cam_out = linear_stack([2048, 3])

    def forward(self, feature: torch.Tensor):
        pooled = feature.mean(dim=(2, 3))
        return self.pose_out(pooled), self.shape_out(pooled), self.expr_out(pooled), self.cam_out(pooled)


@register_network(FACE_CONFIG)
class Pose2PoseFace(nn.Module):
    """(N, 3, 256, 192) RGB/255 face crop -> :class:`Pose2PoseFaceOutput` (FLAME); 326 keys."""

    config = FACE_CONFIG

    def __init__(self):
        super().__init__()
        self.backbone = ResNetTrunk(50)
        self.regressor = FaceParamRegressor()

    def forward(self, image: torch.Tensor) -> Pose2PoseFaceOutput:
        pose6d, shape, expr, cam = self.regressor(self.backbone(image))
        return Pose2PoseFaceOutput(
            root_pose=rot6d_to_rotvec(pose6d[:, :6]), jaw_pose=rot6d_to_rotvec(pose6d[:, 6:]),
            shape=shape, expr=expr, cam_trans=camera_trans_from_cam_param(cam, self.config.k_value))
