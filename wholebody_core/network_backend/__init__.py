"""The network backends (``hand4whole``, ``pose2pose``): the released networks replace the
landmark models and the solver for each person's crop; people, tracking, root depth,
filtering and the capture file stay the core's own (see ``pipeline.py``).

- :mod:`.combine`: the networks' parameters -> SMPL-X poses (pure numpy);
- :mod:`.placement`: a person from a network's virtual camera into the real camera;
- :mod:`.options`: the typed options and the checkpoint checks;
- :mod:`.runner`: crops, batched forwards on the chosen device, per-track records.
"""
