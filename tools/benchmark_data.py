#!/usr/bin/env python
"""Images per second through the training data pipeline of an ADE20K recipe (decode, augment, collate):

    python tools/benchmark_data.py [--recipe mmseg|semseg|encoding] [--workers 0 1 2] [--num-images 64]

It writes an ADE20K-layout folder of fabricated scenes of ADE's sizes (JPEGs with a 512-pixel short side
and a long side of 512..768, smooth regions, edges and sensor noise, quality 90; PNG masks of labels
0..150) into a temporary folder, builds the train loader of the recipe at a 512 x 512 crop, and times
batches after a warm-up, for each number of workers. ``--profile`` adds the time of each stage in the
main process.
"""
from seg_engine.analysis.data_speed import main

if __name__ == "__main__":
    main()
