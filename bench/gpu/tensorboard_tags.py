"""Loads a run's TensorBoard event file with TensorBoard's own EventAccumulator and prints its
tags, how many events each has and the last scalar of each: the GPU check's proof that what
gantry writes opens in TensorBoard.  Usage: python3 bench/gpu/tensorboard_tags.py RUN_DIR"""
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

accumulator = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0, "images": 0})
accumulator.Reload()
tags = accumulator.Tags()
for tag in sorted(tags["scalars"]):
    events = accumulator.Scalars(tag)
    print(f"scalar {tag}: {len(events)} steps, last step {events[-1].step} = {events[-1].value:.4g}")
for tag in tags["images"]:
    images = accumulator.Images(tag)
    sizes = sorted({(i.width, i.height) for i in images})
    print(f"image {tag}: {len(images)} steps {[i.step for i in images]}, sizes {sizes}")
