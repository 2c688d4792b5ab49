"""Which bone of a target rig plays which SMPL-X joint (pure Python, no bpy).

A **bone map** is a dict ``{smplx_joint_name: target_bone_name}``; a joint left
out is not retargeted (the target bone, if any, follows its parent). The map is
proposed from the target's bone names (:func:`propose_map`): the known rig
families of ``RIG_PROFILES`` first (Mixamo, Rigify metarig and generated FK/DEF
bones, Unreal mannequin / MakeHuman game engine, VRM humanoid, MakeHuman/MPFB
default), then a generic matcher (``UpperArm.L``, ``upper_arm_l``, ``LeftArm``,
``thigh_R``...) for the joints still open. Maps are saved and loaded as JSON
presets (:func:`map_to_json`, :func:`map_from_json`; the format is in the README).
"""
from __future__ import annotations

import json
import re

from ..wholebody_core.errors import InputError
from ..wholebody_core.skeleton import JOINT_NAMES

PRESET_FORMAT = "wholebody_retarget_map"
PRESET_VERSION = 1

# Joints a retarget cannot do without; "spine" is any one of spine1..3.
REQUIRED_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("pelvis", ("pelvis",)),
    ("spine", ("spine1", "spine2", "spine3")),
) + tuple((j, (j,)) for side in ("left", "right") for j in (
    f"{side}_hip", f"{side}_knee", f"{side}_ankle", f"{side}_shoulder", f"{side}_elbow", f"{side}_wrist"))

_MIN_PROFILE_BONES = 10         # fewer matches (Hips, Spine, Neck, Head) do not make a rig family
_SMPLX_FINGERS = ("thumb", "index", "middle", "ring", "pinky")


def _sided(table: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Expands ``{"{s}_hip": ("thigh.{S}",)}`` templates for both sides.

    ``{s}`` is left/right; ``{S}`` L/R; ``{l}`` l/r; ``{Side}`` Left/Right.
    """
    out: dict[str, tuple[str, ...]] = {}
    for joint, names in table.items():
        if "{s}" not in joint:
            out[joint] = names
            continue
        for s, S, l, Side in (("left", "L", "l", "Left"), ("right", "R", "r", "Right")):
            out[joint.format(s=s)] = tuple(n.format(S=S, l=l, Side=Side) for n in names)
    return out


def _fingers(template: str, names: dict[str, str], numbers=(1, 2, 3)) -> dict[str, tuple[str, ...]]:
    """Finger joints ``{s}_<finger><k>`` from a template with ``{f}`` (the rig's finger name) and ``{k}``."""
    return {f"{{s}}_{finger}{k}": (template.replace("{f}", names[finger]).replace("{k}", str(number)),)
            for finger in _SMPLX_FINGERS for k, number in zip((1, 2, 3), numbers)}


# Each profile: joint -> candidate target bone names, the first present wins.
RIG_PROFILES: dict[str, dict[str, tuple[str, ...]]] = {
    "mixamo": _sided({
        "pelvis": ("Hips",), "spine1": ("Spine",), "spine2": ("Spine1",), "spine3": ("Spine2",),
        "neck": ("Neck",), "head": ("Head",),
        "{s}_collar": ("{Side}Shoulder",), "{s}_shoulder": ("{Side}Arm",), "{s}_elbow": ("{Side}ForeArm",),
        "{s}_wrist": ("{Side}Hand",), "{s}_hip": ("{Side}UpLeg",), "{s}_knee": ("{Side}Leg",),
        "{s}_ankle": ("{Side}Foot",), "{s}_foot": ("{Side}ToeBase",),
        **_fingers("{Side}Hand{f}{k}", {"thumb": "Thumb", "index": "Index", "middle": "Middle",
                                        "ring": "Ring", "pinky": "Pinky"}),
    }),
    "rigify": _sided({
        "pelvis": ("torso", "spine"), "spine1": ("spine_fk.001", "spine.001"),
        "spine2": ("spine_fk.002", "spine.002"), "spine3": ("spine_fk.003", "spine.003"),
        "neck": ("neck", "spine.004"), "head": ("head", "spine.006"), "jaw": ("jaw",),
        "{s}_collar": ("shoulder.{S}",), "{s}_shoulder": ("upper_arm_fk.{S}", "upper_arm.{S}"),
        "{s}_elbow": ("forearm_fk.{S}", "forearm.{S}"), "{s}_wrist": ("hand_fk.{S}", "hand.{S}"),
        "{s}_hip": ("thigh_fk.{S}", "thigh.{S}"), "{s}_knee": ("shin_fk.{S}", "shin.{S}"),
        "{s}_ankle": ("foot_fk.{S}", "foot.{S}"), "{s}_foot": ("toe_fk.{S}", "toe.{S}"),
        **{j: (n[0],) for j, n in _fingers("f_{f}.0{k}.{S}", {f: f for f in _SMPLX_FINGERS}).items()},
        **{f"{{s}}_thumb{k}": (f"thumb.0{k}.{{S}}",) for k in (1, 2, 3)},
    }),
    "rigify_def": _sided({
        "pelvis": ("DEF-spine",), "spine1": ("DEF-spine.001",), "spine2": ("DEF-spine.002",),
        "spine3": ("DEF-spine.003",), "neck": ("DEF-spine.004",), "head": ("DEF-spine.006",),
        "{s}_collar": ("DEF-shoulder.{S}",), "{s}_shoulder": ("DEF-upper_arm.{S}",),
        "{s}_elbow": ("DEF-forearm.{S}",), "{s}_wrist": ("DEF-hand.{S}",), "{s}_hip": ("DEF-thigh.{S}",),
        "{s}_knee": ("DEF-shin.{S}",), "{s}_ankle": ("DEF-foot.{S}",), "{s}_foot": ("DEF-toe.{S}",),
        **_fingers("DEF-f_{f}.0{k}.{S}", {f: f for f in _SMPLX_FINGERS}),
        **{f"{{s}}_thumb{k}": (f"DEF-thumb.0{k}.{{S}}",) for k in (1, 2, 3)},
    }),
    "unreal": _sided({   # the UE4/UE5 mannequin, MakeHuman/MPFB "game engine"
        "pelvis": ("pelvis",), "spine1": ("spine_01",), "spine2": ("spine_02",), "spine3": ("spine_03",),
        "neck": ("neck_01",), "head": ("head",),
        "{s}_collar": ("clavicle_{l}",), "{s}_shoulder": ("upperarm_{l}",), "{s}_elbow": ("lowerarm_{l}",),
        "{s}_wrist": ("hand_{l}",), "{s}_hip": ("thigh_{l}",), "{s}_knee": ("calf_{l}",),
        "{s}_ankle": ("foot_{l}",), "{s}_foot": ("ball_{l}",),
        **_fingers("{f}_0{k}_{l}", {f: f for f in _SMPLX_FINGERS}),
    }),
    "vrm": _sided({
        "pelvis": ("J_Bip_C_Hips",), "spine1": ("J_Bip_C_Spine",), "spine2": ("J_Bip_C_Chest",),
        "spine3": ("J_Bip_C_UpperChest",), "neck": ("J_Bip_C_Neck",), "head": ("J_Bip_C_Head",),
        "{s}_collar": ("J_Bip_{S}_Shoulder",), "{s}_shoulder": ("J_Bip_{S}_UpperArm",),
        "{s}_elbow": ("J_Bip_{S}_LowerArm",), "{s}_wrist": ("J_Bip_{S}_Hand",),
        "{s}_hip": ("J_Bip_{S}_UpperLeg",), "{s}_knee": ("J_Bip_{S}_LowerLeg",),
        "{s}_ankle": ("J_Bip_{S}_Foot",), "{s}_foot": ("J_Bip_{S}_ToeBase",),
        **_fingers("J_Bip_{S}_{f}{k}", {"thumb": "Thumb", "index": "Index", "middle": "Middle",
                                         "ring": "Ring", "pinky": "Little"}),
    }),
    "makehuman": _sided({   # MakeHuman / MPFB "default" rig (split limbs: the main segment is mapped)
        "pelvis": ("root",), "spine1": ("spine05",), "spine2": ("spine03",), "spine3": ("spine01",),
        "neck": ("neck01",), "head": ("head",), "jaw": ("jaw",),
        "{s}_collar": ("clavicle.{S}",), "{s}_shoulder": ("upperarm01.{S}",),
        "{s}_elbow": ("lowerarm01.{S}",), "{s}_wrist": ("wrist.{S}",),
        "{s}_hip": ("upperleg02.{S}",), "{s}_knee": ("lowerleg01.{S}",), "{s}_ankle": ("foot.{S}",),
        **_fingers("finger{f}-{k}.{S}", {"thumb": "1", "index": "2", "middle": "3", "ring": "4", "pinky": "5"}),
    }),
}

# The generic matcher: a normalised name (lower case, no separators, side removed) -> joint stem.
_GENERIC_PARTS: tuple[tuple[str, str], ...] = (
    (r"(hips?|pelvis|root)", "pelvis"), (r"(spine|spine0?1|abdomen|waist)", "spine1"),
    (r"(spine0?2|chest)", "spine2"), (r"(spine0?3|upperchest|chest0?1)", "spine3"),
    (r"neck0?1?", "neck"), (r"head", "head"), (r"jaw", "jaw"),
    (r"(clavicle|collar(bone)?|shoulder)", "collar"), (r"(upperarm|arm)", "shoulder"),
    (r"(forearm|lowerarm|elbow)", "elbow"), (r"(hand|wrist)", "wrist"),
    (r"(upleg|upperleg|thigh|hip)", "hip"), (r"(leg|lowerleg|shin|calf|knee)", "knee"),
    (r"(foot|ankle)", "ankle"), (r"(toebase|toes?|ball)", "foot"),
)
_FINGER_WORDS = {"thumb": "thumb", "index": "index", "middle": "middle", "ring": "ring",
                 "pinky": "pinky", "little": "pinky"}
_SIDE_PATTERNS = (
    (re.compile(r"^(left|l(?=[_.\- ]))|(?<=[_.\- ])l$|[_.\- ]l[_.\- ]|left"), "left"),
    (re.compile(r"^(right|r(?=[_.\- ]))|(?<=[_.\- ])r$|[_.\- ]r[_.\- ]|right"), "right"),
)


def strip_prefix(name: str) -> str:
    """``mixamorig:LeftArm`` -> ``LeftArm``: drops a namespace (``...:``) and ``DEF-``/``ORG-`` prefixes."""
    name = name.rsplit(":", 1)[-1]
    return re.sub(r"^(DEF|ORG|MCH)-", "", name)


def _side_and_stem(name: str) -> tuple[str, str]:
    """(side 'left'/'right'/'', the name without its side marker, lower case, no separators)."""
    lowered = strip_prefix(name).lower()
    side = ""
    for pattern, label in _SIDE_PATTERNS:
        if pattern.search(lowered):
            side = label
            lowered = pattern.sub(" ", lowered)
            break
    return side, re.sub(r"[_.\- ]+", "", lowered)


def generic_joint(name: str) -> str | None:
    """The SMPL-X joint a bone name suggests by itself (``UpperArm.L`` -> ``left_shoulder``), or None."""
    side, stem = _side_and_stem(name)
    match = re.fullmatch(r"(?:hand)?(thumb|index|middle|ring|pinky|little)(?:finger)?0?([1-3])", stem)
    if match and side:
        return f"{side}_{_FINGER_WORDS[match.group(1)]}{match.group(2)}"
    for pattern, joint in _GENERIC_PARTS:
        if re.fullmatch(pattern, stem):
            central = joint in ("pelvis", "spine1", "spine2", "spine3", "neck", "head", "jaw")
            if central and not side:
                return joint
            if not central and side:
                return f"{side}_{joint}"
    return None


def _profile_map(profile: dict[str, tuple[str, ...]], by_stripped: dict[str, str]) -> dict[str, str]:
    found = {}
    for joint, candidates in profile.items():
        for candidate in candidates:
            if candidate in by_stripped:
                found[joint] = by_stripped[candidate]
                break
    return found


def propose_map(bone_names: list[str]) -> tuple[dict[str, str], str]:
    """The best bone map for a rig with these bones, and the name of the profile it came from.

    The profile matching most bones wins (``'generic'`` when none matches ``_MIN_PROFILE_BONES``);
    the generic matcher then fills joints the profile left open with bones no
    other joint took.
    """
    by_stripped: dict[str, str] = {}
    for name in bone_names:
        by_stripped.setdefault(name, name)
    for name in bone_names:     # namespaced names (mixamorig:Hips) also answer to their plain name
        by_stripped.setdefault(name.rsplit(":", 1)[-1], name)
    best, best_name = {}, "generic"
    for profile_name, profile in RIG_PROFILES.items():
        found = _profile_map(profile, by_stripped)
        if len(found) > len(best) and len(found) >= _MIN_PROFILE_BONES:
            best, best_name = found, profile_name
    mapping = dict(best)
    taken = set(mapping.values())
    for name in bone_names:
        joint = generic_joint(name)
        if joint is not None and joint not in mapping and name not in taken:
            mapping[joint] = name
            taken.add(name)
    return {j: mapping[j] for j in JOINT_NAMES if j in mapping}, best_name


def missing_required(mapping: dict[str, str]) -> list[str]:
    """The required joint groups with no mapped bone (``'spine'`` for spine1..3), in order."""
    return [label for label, joints in REQUIRED_GROUPS if not any(mapping.get(j) for j in joints)]


def check_map(mapping: dict[str, str], bone_names) -> None:
    """Raises InputError naming the first required joint left unmapped, or a bone the rig lacks."""
    bones = set(bone_names)
    for joint, bone in mapping.items():
        if joint not in JOINT_NAMES:
            raise InputError(f"the bone map names {joint!r}, which is not an SMPL-X joint; "
                             f"use one of {', '.join(JOINT_NAMES[:4])}, ...")
        if bone and bone not in bones:
            raise InputError(f"the bone map maps {joint} to {bone!r}, which the target armature does not have; "
                             "pick one of its bones in the Retarget list.")
    missing = missing_required(mapping)
    if missing:
        also = f" (also unmapped: {', '.join(missing[1:])})" if len(missing) > 1 else ""
        raise InputError(f"required bone {missing[0]!r} is not mapped{also}; choose the target bone for it "
                         "in the Retarget list, or load a preset that maps it.")


def map_to_json(mapping: dict[str, str], rig: str = "") -> str:
    """A preset file's text: ``{"format", "version", "rig", "map": {joint: bone}}``."""
    ordered = {j: mapping[j] for j in JOINT_NAMES if mapping.get(j)}
    return json.dumps({"format": PRESET_FORMAT, "version": PRESET_VERSION, "rig": rig, "map": ordered},
                      indent=2) + "\n"


def map_from_json(text: str) -> dict[str, str]:
    """The bone map of a preset file's text; InputError when it is not one."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"the retarget preset is not valid JSON ({error}); choose a file saved by "
                         "Save preset.") from None
    if not isinstance(data, dict) or data.get("format") != PRESET_FORMAT or not isinstance(data.get("map"), dict):
        raise InputError(f"the file is not a retarget preset (it needs \"format\": \"{PRESET_FORMAT}\" and a "
                         "\"map\" object); choose a file saved by Save preset.")
    if data.get("version", 0) > PRESET_VERSION:
        raise InputError(f"the retarget preset has version {data['version']}; this add-on reads version "
                         f"{PRESET_VERSION}. Update the add-on.")
    unknown = [j for j in data["map"] if j not in JOINT_NAMES]
    if unknown:
        raise InputError(f"the retarget preset maps {unknown[0]!r}, which is not an SMPL-X joint name.")
    return {j: str(b) for j, b in data["map"].items() if b}
