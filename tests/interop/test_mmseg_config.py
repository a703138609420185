"""tools/import_mmseg_config.py and seg_engine.interop.mmseg_config: mmsegmentation 1.x configs to recipes."""
import os
import textwrap

import pytest

from seg_engine.config import get_cfg
from seg_engine.interop.mmseg_config import MmsegImportError, load_mmseg_config, to_yaml, translate
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import load_tool

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
load_plugin(os.path.join(ROOT, "projects", "PSPNet"))
load_plugin(os.path.join(ROOT, "projects", "EncNet"))
load_plugin(os.path.join(ROOT, "projects", "DeepLab"))
load_plugin(os.path.join(ROOT, "projects", "FPN"))

# mmsegmentation 1.2.2's files (configs/pspnet/pspnet_r50-d8_4xb4-80k_ade20k-512x512.py and its _base_),
# their content as released, comments and the TTA/visualisation details shortened.
MMSEG_FILES = {
    "_base_/models/pspnet_r50-d8.py": """
        norm_cfg = dict(type='SyncBN', requires_grad=True)
        data_preprocessor = dict(
            type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True, pad_val=0, seg_pad_val=255)
        model = dict(
            type='EncoderDecoder',
            data_preprocessor=data_preprocessor,
            pretrained='open-mmlab://resnet50_v1c',
            backbone=dict(
                type='ResNetV1c', depth=50, num_stages=4, out_indices=(0, 1, 2, 3), dilations=(1, 1, 2, 4),
                strides=(1, 2, 1, 1), norm_cfg=norm_cfg, norm_eval=False, style='pytorch', contract_dilation=True),
            decode_head=dict(
                type='PSPHead', in_channels=2048, in_index=3, channels=512, pool_scales=(1, 2, 3, 6),
                dropout_ratio=0.1, num_classes=19, norm_cfg=norm_cfg, align_corners=False,
                loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
            auxiliary_head=dict(
                type='FCNHead', in_channels=1024, in_index=2, channels=256, num_convs=1, concat_input=False,
                dropout_ratio=0.1, num_classes=19, norm_cfg=norm_cfg, align_corners=False,
                loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)),
            train_cfg=dict(),
            test_cfg=dict(mode='whole'))
    """,
    "_base_/datasets/ade20k.py": """
        dataset_type = 'ADE20KDataset'
        data_root = 'data/ade/ADEChallengeData2016'
        crop_size = (512, 512)
        train_pipeline = [
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations', reduce_zero_label=True),
            dict(type='RandomResize', scale=(2048, 512), ratio_range=(0.5, 2.0), keep_ratio=True),
            dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
            dict(type='RandomFlip', prob=0.5),
            dict(type='PhotoMetricDistortion'),
            dict(type='PackSegInputs')
        ]
        test_pipeline = [
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(2048, 512), keep_ratio=True),
            dict(type='LoadAnnotations', reduce_zero_label=True),
            dict(type='PackSegInputs')
        ]
        img_ratios = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
        tta_pipeline = [
            dict(type='LoadImageFromFile', backend_args=None),
            dict(type='TestTimeAug', transforms=[
                [dict(type='Resize', scale_factor=r, keep_ratio=True) for r in img_ratios],
                [dict(type='RandomFlip', prob=0., direction='horizontal'),
                 dict(type='RandomFlip', prob=1., direction='horizontal')],
                [dict(type='LoadAnnotations')], [dict(type='PackSegInputs')]])
        ]
        train_dataloader = dict(
            batch_size=4, num_workers=4, persistent_workers=True,
            sampler=dict(type='InfiniteSampler', shuffle=True),
            dataset=dict(type=dataset_type, data_root=data_root,
                         data_prefix=dict(img_path='images/training', seg_map_path='annotations/training'),
                         pipeline=train_pipeline))
        val_dataloader = dict(
            batch_size=1, num_workers=4, persistent_workers=True,
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(type=dataset_type, data_root=data_root,
                         data_prefix=dict(img_path='images/validation', seg_map_path='annotations/validation'),
                         pipeline=test_pipeline))
        test_dataloader = val_dataloader
        val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
        test_evaluator = val_evaluator
    """,
    "_base_/default_runtime.py": """
        default_scope = 'mmseg'
        env_cfg = dict(cudnn_benchmark=True, mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
                       dist_cfg=dict(backend='nccl'))
        vis_backends = [dict(type='LocalVisBackend')]
        visualizer = dict(type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
        log_processor = dict(by_epoch=False)
        log_level = 'INFO'
        load_from = None
        resume = False
        tta_model = dict(type='SegTTAModel')
    """,
    "_base_/schedules/schedule_80k.py": """
        optimizer = dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0005)
        optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer, clip_grad=None)
        param_scheduler = [
            dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=80000, by_epoch=False)
        ]
        train_cfg = dict(type='IterBasedTrainLoop', max_iters=80000, val_interval=8000)
        val_cfg = dict(type='ValLoop')
        test_cfg = dict(type='TestLoop')
        default_hooks = dict(
            timer=dict(type='IterTimerHook'),
            logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
            param_scheduler=dict(type='ParamSchedulerHook'),
            checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=8000),
            sampler_seed=dict(type='DistSamplerSeedHook'),
            visualization=dict(type='SegVisualizationHook'))
    """,
    "_base_/models/encnet_r50-d8.py": """
        norm_cfg = dict(type='SyncBN', requires_grad=True)
        data_preprocessor = dict(
            type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True, pad_val=0, seg_pad_val=255)
        model = dict(
            type='EncoderDecoder',
            data_preprocessor=data_preprocessor,
            pretrained='open-mmlab://resnet50_v1c',
            backbone=dict(
                type='ResNetV1c', depth=50, num_stages=4, out_indices=(0, 1, 2, 3), dilations=(1, 1, 2, 4),
                strides=(1, 2, 1, 1), norm_cfg=norm_cfg, norm_eval=False, style='pytorch', contract_dilation=True),
            decode_head=dict(
                type='EncHead', in_channels=[512, 1024, 2048], in_index=(1, 2, 3), channels=512, num_codes=32,
                use_se_loss=True, add_lateral=False, dropout_ratio=0.1, num_classes=19, norm_cfg=norm_cfg,
                align_corners=False,
                loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
                loss_se_decode=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=0.2)),
            auxiliary_head=dict(
                type='FCNHead', in_channels=1024, in_index=2, channels=256, num_convs=1, concat_input=False,
                dropout_ratio=0.1, num_classes=19, norm_cfg=norm_cfg, align_corners=False,
                loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)),
            train_cfg=dict(),
            test_cfg=dict(mode='whole'))
    """,
    "encnet/encnet_r50-d8_4xb4-80k_ade20k-512x512.py": """
        _base_ = [
            '../_base_/models/encnet_r50-d8.py', '../_base_/datasets/ade20k.py',
            '../_base_/default_runtime.py', '../_base_/schedules/schedule_80k.py'
        ]
        crop_size = (512, 512)
        data_preprocessor = dict(size=crop_size)
        model = dict(
            data_preprocessor=data_preprocessor,
            decode_head=dict(num_classes=150),
            auxiliary_head=dict(num_classes=150))
    """,
    "_base_/models/fastfcn_r50-d32_jpu_psp.py": """
        norm_cfg = dict(type='SyncBN', requires_grad=True)
        data_preprocessor = dict(
            type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True, pad_val=0, seg_pad_val=255)
        model = dict(
            type='EncoderDecoder',
            data_preprocessor=data_preprocessor,
            pretrained='open-mmlab://resnet50_v1c',
            backbone=dict(
                type='ResNetV1c', depth=50, num_stages=4, dilations=(1, 1, 2, 4), strides=(1, 2, 2, 2),
                out_indices=(1, 2, 3), norm_cfg=norm_cfg, norm_eval=False, style='pytorch', contract_dilation=True),
            neck=dict(
                type='JPU', in_channels=(512, 1024, 2048), mid_channels=512, start_level=0, end_level=-1,
                dilations=(1, 2, 4, 8), align_corners=False, norm_cfg=norm_cfg),
            decode_head=dict(
                type='PSPHead', in_channels=2048, in_index=2, channels=512, pool_scales=(1, 2, 3, 6),
                dropout_ratio=0.1, num_classes=19, norm_cfg=norm_cfg, align_corners=False,
                loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
            auxiliary_head=dict(
                type='FCNHead', in_channels=1024, in_index=1, channels=256, num_convs=1, concat_input=False,
                dropout_ratio=0.1, num_classes=19, norm_cfg=norm_cfg, align_corners=False,
                loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)),
            train_cfg=dict(),
            test_cfg=dict(mode='whole'))
    """,
    "fastfcn/fastfcn_r50-d32_jpu_psp_4xb4-80k_ade20k-512x512.py": """
        _base_ = [
            '../_base_/models/fastfcn_r50-d32_jpu_psp.py',
            '../_base_/datasets/ade20k.py', '../_base_/default_runtime.py',
            '../_base_/schedules/schedule_80k.py'
        ]
        crop_size = (512, 512)
        data_preprocessor = dict(size=crop_size)
        model = dict(
            data_preprocessor=data_preprocessor,
            decode_head=dict(num_classes=150),
            auxiliary_head=dict(num_classes=150))
    """,
    "fastfcn/fastfcn_r50-d32_jpu_enc_4xb4-80k_ade20k-512x512.py": """
        _base_ = './fastfcn_r50-d32_jpu_psp_4xb4-80k_ade20k-512x512.py'
        norm_cfg = dict(type='SyncBN', requires_grad=True)
        model = dict(
            decode_head=dict(
                _delete_=True,
                type='EncHead', in_channels=[512, 1024, 2048], in_index=(0, 1, 2), channels=512, num_codes=32,
                use_se_loss=True, add_lateral=False, dropout_ratio=0.1, num_classes=150, norm_cfg=norm_cfg,
                align_corners=False,
                loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
                loss_se_decode=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=0.2)),
            train_cfg=dict(),
            test_cfg=dict(mode='whole'))
    """,
    "_base_/models/deeplabv3_r50-d8.py": """
        norm_cfg = dict(type='SyncBN', requires_grad=True)
        data_preprocessor = dict(
            type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True, pad_val=0, seg_pad_val=255)
        model = dict(
            type='EncoderDecoder',
            data_preprocessor=data_preprocessor,
            pretrained='open-mmlab://resnet50_v1c',
            backbone=dict(
                type='ResNetV1c', depth=50, num_stages=4, out_indices=(0, 1, 2, 3), dilations=(1, 1, 2, 4),
                strides=(1, 2, 1, 1), norm_cfg=norm_cfg, norm_eval=False, style='pytorch', contract_dilation=True),
            decode_head=dict(
                type='ASPPHead', in_channels=2048, in_index=3, channels=512, dilations=(1, 12, 24, 36),
                dropout_ratio=0.1, num_classes=19, norm_cfg=norm_cfg, align_corners=False,
                loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
            auxiliary_head=dict(
                type='FCNHead', in_channels=1024, in_index=2, channels=256, num_convs=1, concat_input=False,
                dropout_ratio=0.1, num_classes=19, norm_cfg=norm_cfg, align_corners=False,
                loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)),
            train_cfg=dict(),
            test_cfg=dict(mode='whole'))
    """,
    "deeplabv3/deeplabv3_r50-d8_4xb4-80k_ade20k-512x512.py": """
        _base_ = [
            '../_base_/models/deeplabv3_r50-d8.py', '../_base_/datasets/ade20k.py',
            '../_base_/default_runtime.py', '../_base_/schedules/schedule_80k.py'
        ]
        crop_size = (512, 512)
        data_preprocessor = dict(size=crop_size)
        model = dict(
            data_preprocessor=data_preprocessor,
            decode_head=dict(num_classes=150),
            auxiliary_head=dict(num_classes=150))
    """,
    "_base_/models/deeplabv3plus_r50-d8.py": """
        norm_cfg = dict(type='SyncBN', requires_grad=True)
        data_preprocessor = dict(
            type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True, pad_val=0, seg_pad_val=255)
        model = dict(
            type='EncoderDecoder',
            data_preprocessor=data_preprocessor,
            pretrained='open-mmlab://resnet50_v1c',
            backbone=dict(
                type='ResNetV1c', depth=50, num_stages=4, out_indices=(0, 1, 2, 3), dilations=(1, 1, 2, 4),
                strides=(1, 2, 1, 1), norm_cfg=norm_cfg, norm_eval=False, style='pytorch', contract_dilation=True),
            decode_head=dict(
                type='DepthwiseSeparableASPPHead', in_channels=2048, in_index=3, channels=512, dilations=(1, 12, 24, 36),
                c1_in_channels=256, c1_channels=48, dropout_ratio=0.1, num_classes=19, norm_cfg=norm_cfg,
                align_corners=False,
                loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
            auxiliary_head=dict(
                type='FCNHead', in_channels=1024, in_index=2, channels=256, num_convs=1, concat_input=False,
                dropout_ratio=0.1, num_classes=19, norm_cfg=norm_cfg, align_corners=False,
                loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)),
            train_cfg=dict(),
            test_cfg=dict(mode='whole'))
    """,
    "deeplabv3plus/deeplabv3plus_r50-d8_4xb4-80k_ade20k-512x512.py": """
        _base_ = [
            '../_base_/models/deeplabv3plus_r50-d8.py', '../_base_/datasets/ade20k.py',
            '../_base_/default_runtime.py', '../_base_/schedules/schedule_80k.py'
        ]
        crop_size = (512, 512)
        data_preprocessor = dict(size=crop_size)
        model = dict(
            data_preprocessor=data_preprocessor,
            decode_head=dict(num_classes=150),
            auxiliary_head=dict(num_classes=150))
    """,
    "_base_/datasets/cityscapes.py": """
        dataset_type = 'CityscapesDataset'
        data_root = 'data/cityscapes/'
        crop_size = (512, 1024)
        train_pipeline = [
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations'),
            dict(type='RandomResize', scale=(2048, 1024), ratio_range=(0.5, 2.0), keep_ratio=True),
            dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
            dict(type='RandomFlip', prob=0.5),
            dict(type='PhotoMetricDistortion'),
            dict(type='PackSegInputs')
        ]
        test_pipeline = [
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(2048, 1024), keep_ratio=True),
            dict(type='LoadAnnotations'),
            dict(type='PackSegInputs')
        ]
        train_dataloader = dict(
            batch_size=2, num_workers=2, persistent_workers=True,
            sampler=dict(type='InfiniteSampler', shuffle=True),
            dataset=dict(type=dataset_type, data_root=data_root,
                         data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
                         pipeline=train_pipeline))
        val_dataloader = dict(
            batch_size=1, num_workers=4, persistent_workers=True,
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(type=dataset_type, data_root=data_root,
                         data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
                         pipeline=test_pipeline))
        test_dataloader = val_dataloader
        val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
        test_evaluator = val_evaluator
    """,
    "fastfcn/fastfcn_r50-d32_jpu_psp_4xb2-80k_cityscapes-512x1024.py": """
        _base_ = [
            '../_base_/models/fastfcn_r50-d32_jpu_psp.py',
            '../_base_/datasets/cityscapes.py', '../_base_/default_runtime.py',
            '../_base_/schedules/schedule_80k.py'
        ]
        crop_size = (512, 1024)
        data_preprocessor = dict(size=crop_size)
        model = dict(data_preprocessor=data_preprocessor)
    """,
    "fastfcn/fastfcn_r50-d32_jpu_aspp_4xb2-80k_cityscapes-512x1024.py": """
        _base_ = './fastfcn_r50-d32_jpu_psp_4xb2-80k_cityscapes-512x1024.py'
        norm_cfg = dict(type='SyncBN', requires_grad=True)
        model = dict(
            decode_head=dict(
                _delete_=True,
                type='ASPPHead', in_channels=2048, in_index=2, channels=512, dilations=(1, 12, 24, 36),
                dropout_ratio=0.1, num_classes=19, norm_cfg=norm_cfg, align_corners=False,
                loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
            train_cfg=dict(),
            test_cfg=dict(mode='whole'))
    """,
    "pspnet/pspnet_r50-d8_4xb4-80k_ade20k-512x512.py": """
        _base_ = [
            '../_base_/models/pspnet_r50-d8.py', '../_base_/datasets/ade20k.py',
            '../_base_/default_runtime.py', '../_base_/schedules/schedule_80k.py'
        ]
        crop_size = (512, 512)
        data_preprocessor = dict(size=crop_size)
        model = dict(
            data_preprocessor=data_preprocessor,
            decode_head=dict(num_classes=150),
            auxiliary_head=dict(num_classes=150))
    """,
    "_base_/models/fpn_r50.py": """
        norm_cfg = dict(type='SyncBN', requires_grad=True)
        data_preprocessor = dict(
            type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True, pad_val=0, seg_pad_val=255)
        model = dict(
            type='EncoderDecoder',
            data_preprocessor=data_preprocessor,
            pretrained='open-mmlab://resnet50_v1c',
            backbone=dict(
                type='ResNetV1c', depth=50, num_stages=4, out_indices=(0, 1, 2, 3), dilations=(1, 1, 1, 1),
                strides=(1, 2, 2, 2), norm_cfg=norm_cfg, norm_eval=False, style='pytorch', contract_dilation=True),
            neck=dict(type='FPN', in_channels=[256, 512, 1024, 2048], out_channels=256, num_outs=4),
            decode_head=dict(
                type='FPNHead', in_channels=[256, 256, 256, 256], in_index=[0, 1, 2, 3], feature_strides=[4, 8, 16, 32],
                channels=128, dropout_ratio=0.1, num_classes=19, norm_cfg=norm_cfg, align_corners=False,
                loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
            train_cfg=dict(),
            test_cfg=dict(mode='whole'))
    """,
    "_base_/schedules/schedule_160k.py": """
        optimizer = dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0005)
        optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer, clip_grad=None)
        param_scheduler = [
            dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=160000, by_epoch=False)
        ]
        train_cfg = dict(type='IterBasedTrainLoop', max_iters=160000, val_interval=16000)
        val_cfg = dict(type='ValLoop')
        test_cfg = dict(type='TestLoop')
        default_hooks = dict(
            timer=dict(type='IterTimerHook'),
            logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
            param_scheduler=dict(type='ParamSchedulerHook'),
            checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=16000),
            sampler_seed=dict(type='DistSamplerSeedHook'),
            visualization=dict(type='SegVisualizationHook'))
    """,
    "sem_fpn/fpn_r50_4xb4-160k_ade20k-512x512.py": """
        _base_ = [
            '../_base_/models/fpn_r50.py', '../_base_/datasets/ade20k.py',
            '../_base_/default_runtime.py', '../_base_/schedules/schedule_160k.py'
        ]
        crop_size = (512, 512)
        data_preprocessor = dict(size=crop_size)
        model = dict(data_preprocessor=data_preprocessor, decode_head=dict(num_classes=150))
    """,
}
PSPNET = "pspnet/pspnet_r50-d8_4xb4-80k_ade20k-512x512.py"
# (mmseg config, the project's recipe for it, where they knowingly differ). The recipes' output folders
# are named after the recipes; the PSPNet recipe checkpoints and evaluates every 16,000 iterations where
# mmsegmentation 1.2.2's schedule_80k does both every 8,000; the EncNet recipe builds res2..res5 where
# mmseg's heads read res4 and res5 only (res2 and res3 are computed either way); the DeepLabv3 and v3+ recipes
# checkpoint and evaluate every 16,000 iterations as the PSPNet one.
PAIRS = [
    (PSPNET, ("PSPNet", "ade20k/pspnet_R50_512x512_80k_ade20k_mmseg.yaml"),
     {"OUTPUT_DIR", "SOLVER.CHECKPOINT_PERIOD", "TEST.EVAL_PERIOD"}),
    ("encnet/encnet_r50-d8_4xb4-80k_ade20k-512x512.py", ("EncNet", "ade20k/encnet_R50-d8_512x512_80k_ade20k_mmseg.yaml"),
     {"OUTPUT_DIR", "MODEL.RESNETS.OUT_FEATURES"}),
    ("fastfcn/fastfcn_r50-d32_jpu_psp_4xb4-80k_ade20k-512x512.py",
     ("PSPNet", "ade20k/pspnet_jpu_R50-d32_512x512_80k_ade20k_mmseg.yaml"), {"OUTPUT_DIR"}),
    ("fastfcn/fastfcn_r50-d32_jpu_enc_4xb4-80k_ade20k-512x512.py",
     ("EncNet", "ade20k/encnet_jpu_R50-d32_512x512_80k_ade20k_mmseg.yaml"), {"OUTPUT_DIR", "MODEL.RESNETS.OUT_FEATURES"}),
    ("deeplabv3/deeplabv3_r50-d8_4xb4-80k_ade20k-512x512.py",
     ("DeepLab", "ade20k/deeplabv3_R50-D8_512x512_80k_ade20k_mmseg.yaml"),
     {"OUTPUT_DIR", "SOLVER.CHECKPOINT_PERIOD", "TEST.EVAL_PERIOD"}),
    ("deeplabv3plus/deeplabv3plus_r50-d8_4xb4-80k_ade20k-512x512.py",
     ("DeepLab", "ade20k/deeplabv3plus_R50-D8_512x512_80k_ade20k_mmseg.yaml"),
     {"OUTPUT_DIR", "SOLVER.CHECKPOINT_PERIOD", "TEST.EVAL_PERIOD"}),
    ("fastfcn/fastfcn_r50-d32_jpu_aspp_4xb2-80k_cityscapes-512x1024.py",
     ("DeepLab", "cityscapes/deeplabv3_jpu_R50-d32_512x1024_80k_cityscapes_mmseg.yaml"), {"OUTPUT_DIR"}),
    ("sem_fpn/fpn_r50_4xb4-160k_ade20k-512x512.py", ("FPN", "ade20k/fpn_R50_512x512_160k_ade20k_mmseg.yaml"), {"OUTPUT_DIR"}),
]


@pytest.fixture
def mmseg_dir(tmp_path):
    for rel, text in MMSEG_FILES.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path


def flat(node, prefix=""):
    out = {}
    for key, value in node.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = tuple(value) if isinstance(value, list) else value
    return out


def test_base_chain_is_merged_as_mmengine_does(mmseg_dir):
    cfg = load_mmseg_config(str(mmseg_dir / PSPNET))
    assert cfg["model"]["decode_head"]["num_classes"] == 150  # the child's dict merged into the base's
    assert cfg["model"]["decode_head"]["pool_scales"] == (1, 2, 3, 6)  # the base's keys kept
    assert cfg["model"]["data_preprocessor"]["size"] == (512, 512)
    assert cfg["train_cfg"]["max_iters"] == 80000


def run_tool(*args):
    """tools/import_mmseg_config.py's main, in this process (a subprocess would re-import torch)."""
    return load_tool("import_mmseg_config").main(list(args))


def test_tool_writes_a_recipe_that_loads(mmseg_dir, tmp_path):
    out = tmp_path / "pspnet.yaml"
    assert run_tool(str(mmseg_dir / PSPNET), "-o", str(out), "--plugin", os.path.join(ROOT, "projects", "PSPNet")) == 0
    assert "tta_pipeline" in out.read_text().splitlines()[1]  # what was ignored is named
    translated = get_cfg()
    translated.merge_from_file(str(out))
    assert (translated.SOLVER.CHECKPOINT_PERIOD, translated.TEST.EVAL_PERIOD) == (8000, 8000)


@pytest.mark.parametrize("config, recipe, known", PAIRS,
                         ids=["pspnet", "encnet", "fastfcn_psp", "fastfcn_enc", "deeplabv3", "deeplabv3plus", "fastfcn_aspp",
                              "fpn"])
def test_translated_config_equals_the_recipe_key_by_key(mmseg_dir, config, recipe, known):
    keys, ignored = translate(load_mmseg_config(str(mmseg_dir / config)), os.path.basename(config)[:-3])
    translated, expected = get_cfg(), get_cfg()
    translated.merge_from_other_cfg(translated.load_cfg(to_yaml(keys, config, ignored)))
    expected.merge_from_file(os.path.join(ROOT, "projects", recipe[0], "configs", recipe[1]))
    a, b = flat(translated), flat(expected)
    assert set(a) == set(b)
    differing = {k for k in a if a[k] != b[k]}
    assert differing == known, {k: (a[k], b[k]) for k in differing}


def test_enc_head_and_slide_test(mmseg_dir):
    cfg = load_mmseg_config(str(mmseg_dir / PSPNET))
    cfg["model"]["decode_head"] = dict(
        type="EncHead", in_channels=[512, 1024, 2048], in_index=(1, 2, 3), channels=512, num_codes=32,
        use_se_loss=True, add_lateral=True, dropout_ratio=0.1, num_classes=150, norm_cfg=dict(type="SyncBN"),
        align_corners=False, loss_decode=dict(type="CrossEntropyLoss", use_sigmoid=False, loss_weight=1.0,
                                              avg_non_ignore=True),
        loss_se_decode=dict(type="CrossEntropyLoss", use_sigmoid=True, loss_weight=0.2))
    cfg["model"]["auxiliary_head"]["loss_decode"]["avg_non_ignore"] = True
    cfg["model"]["test_cfg"] = dict(mode="slide", crop_size=(512, 512), stride=(341, 341))
    cfg["train_dataloader"]["batch_size"] = 8
    keys, _ = translate(cfg, "encnet_r50-d8_2xb8-80k_ade20k-512x512")
    assert keys["MODEL.META_ARCHITECTURE"] == "EncNet" and keys["MODEL.ENCNET.LATERAL"] is True
    assert keys["MODEL.RESNETS.OUT_FEATURES"] == ["res3", "res4", "res5"]
    assert keys["MODEL.LOSS.AVERAGE"] == "valid" and keys["SOLVER.IMS_PER_BATCH"] == 16
    assert (keys["TEST.MODE"], keys["TEST.STRIDE"]) == ("slide", (341, 341))
    recipe = get_cfg()
    recipe.merge_from_other_cfg(recipe.load_cfg(to_yaml(keys, "x.py", [])))  # every key exists and is typed
    assert recipe.MODEL.ENCNET.SE_LOSS_WEIGHT == 0.2


def test_tool_reports_the_error_and_writes_nothing(mmseg_dir, tmp_path, capsys):
    (mmseg_dir / "bad_4xb4.py").write_text("_base_ = './pspnet/pspnet_r50-d8_4xb4-80k_ade20k-512x512.py'\n"
                                           "model = dict(backbone=dict(type='MobileNetV2'))\n")
    assert run_tool(str(mmseg_dir / "bad_4xb4.py"), "-o", str(tmp_path / "bad.yaml")) == 2  # as every tool
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("import_mmseg_config: error:") and "model.backbone.type='MobileNetV2'" in err[0]
    assert not (tmp_path / "bad.yaml").exists()


def test_everything_untranslatable_is_listed_in_one_error(mmseg_dir):
    cfg = load_mmseg_config(str(mmseg_dir / PSPNET))
    cfg["model"]["backbone"]["type"] = "MixVisionTransformer"
    cfg["train_dataloader"]["dataset"]["pipeline"].insert(2, dict(type="RandomRotate", prob=0.5, degree=20))
    cfg["optim_wrapper"]["paramwise_cfg"] = dict(custom_keys={"head": dict(lr_mult=10.0)})
    cfg["custom_hooks"] = [dict(type="EMAHook")]
    with pytest.raises(MmsegImportError) as e:
        translate(cfg, "x_4xb4")
    message = str(e.value)
    assert "4 settings have no equivalent" in message
    for part in ("model.backbone.type='MixVisionTransformer'", "RandomRotate", "optim_wrapper.paramwise_cfg",
                 "custom_hooks"):
        assert part in message


def test_batch_needs_the_number_of_gpus(mmseg_dir):
    cfg = load_mmseg_config(str(mmseg_dir / PSPNET))
    with pytest.raises(MmsegImportError, match="number of GPUs"):
        translate(cfg, "pspnet_custom")
    assert translate(cfg, "pspnet_custom", num_gpus=2)[0]["SOLVER.IMS_PER_BATCH"] == 8


def test_imports_and_delete_are_handled(tmp_path):
    (tmp_path / "base.py").write_text("model = dict(a=1, b=dict(c=2, d=3))\n")
    (tmp_path / "child.py").write_text("_base_ = './base.py'\nmodel = dict(b=dict(_delete_=True, e=4))\n")
    assert load_mmseg_config(str(tmp_path / "child.py")) == {"model": {"a": 1, "b": {"e": 4}}}
    (tmp_path / "new.py").write_text("from mmengine.config import read_base\n")
    with pytest.raises(MmsegImportError, match="imports are not supported"):
        load_mmseg_config(str(tmp_path / "new.py"))


def test_aspp_heads_this_deeplab_cannot_build_are_listed(mmseg_dir):
    cfg = load_mmseg_config(str(mmseg_dir / "deeplabv3plus/deeplabv3plus_r50-d8_4xb4-80k_ade20k-512x512.py"))
    cfg["model"]["decode_head"].update(dilations=(6, 12, 18), c1_in_channels=0)  # no 1x1 branch, no low-level input
    with pytest.raises(MmsegImportError, match=r"2 settings have no equivalent") as e:
        translate(cfg, "x_4xb4")
    assert "model.decode_head.dilations=(6, 12, 18)" in str(e.value) and "model.decode_head.c1_in_channels=0" in str(e.value)


def test_fcn_head_with_concat_input_on_voc_aug_from_resnet18(mmseg_dir):
    """mmseg's FCNHead concatenates its input by default; voc12aug trains on VOC's train list and SBD's aug list."""
    cfg = load_mmseg_config(str(mmseg_dir / PSPNET))
    head = {k: v for k, v in cfg["model"]["decode_head"].items() if k != "pool_scales"}
    cfg["model"]["decode_head"] = dict(head, type="FCNHead", num_convs=2, num_classes=21)
    cfg["model"]["auxiliary_head"]["num_classes"] = 21
    cfg["model"]["pretrained"] = "open-mmlab://resnet18_v1c"
    cfg["model"]["backbone"]["depth"] = 18
    def voc_labels(pipeline):  # VOC's masks keep label 0 (background)
        return [dict(type="LoadAnnotations") if t["type"] == "LoadAnnotations" else t for t in pipeline]

    pipeline = voc_labels(cfg["train_pipeline"]) + [dict(type="Pad", size=(512, 512))]
    voc = [dict(type="PascalVOCDataset", ann_file=f"ImageSets/Segmentation/{n}.txt", pipeline=pipeline) for n in ("train", "aug")]
    cfg["dataset_train"], cfg["dataset_aug"] = voc
    cfg["train_dataloader"]["dataset"] = dict(type="ConcatDataset", datasets=voc)
    cfg["val_dataloader"]["dataset"] = dict(type="PascalVOCDataset", pipeline=voc_labels(cfg["test_pipeline"]))
    keys, _ = translate(cfg, "fcn_r18-d8_4xb4-20k_voc12aug-512x512")
    assert keys["MODEL.HEAD.CONCAT_INPUT"] is True and keys["MODEL.NUM_CLASSES"] == 21
    assert keys["MODEL.HEAD.DILATION"] == keys["MODEL.AUX_HEAD.DILATION"] == 1
    assert keys["MODEL.WEIGHTS"] == "open-mmlab://resnet18_v1c" and keys["MODEL.RESNETS.DEPTH"] == 18
    assert (keys["DATASETS.TRAIN"], keys["DATASETS.TEST"]) == (("voc2012_aug_train",), ("voc2012_val",))
    assert keys["INPUT.TRAIN.CROP_SIZE"] == (512, 512)
    cfg["model"]["decode_head"]["dilation"] = cfg["model"]["auxiliary_head"]["dilation"] = 6  # the fcn-d6 models
    dilated, _ = translate(cfg, "fcn-d6_r18-d8_4xb4-20k_voc12aug-512x512")
    assert dilated["MODEL.HEAD.DILATION"] == dilated["MODEL.AUX_HEAD.DILATION"] == 6
    cfg["train_dataloader"]["dataset"]["datasets"] = voc[:1]  # a ConcatDataset of another kind is named
    with pytest.raises(MmsegImportError, match="ConcatDataset"):
        translate(cfg, "x_4xb4")


def test_the_rb_models_resnet_has_torchvisions_stem_and_file(mmseg_dir):
    """mmseg's ``ResNet`` (the r18b/r50b/r101b models) is ResNetV1c with torchvision's 7x7 stem, started from
    torchvision's ImageNet file; each stem refuses the other's file."""
    cfg = load_mmseg_config(str(mmseg_dir / PSPNET))
    cfg["model"]["pretrained"] = "torchvision://resnet18"
    cfg["model"]["backbone"].update(type="ResNet", depth=18)
    keys, _ = translate(cfg, "pspnet_r18b-d8_4xb4-80k_ade20k-512x512")
    assert (keys["MODEL.RESNETS.STEM"], keys["MODEL.RESNETS.STEM_WIDTH"], keys["MODEL.RESNETS.DEPTH"]) == ("basic", 0, 18)
    assert (keys["MODEL.WEIGHTS"], keys["MODEL.WEIGHTS_FORMAT"]) == ("torchvision://resnet18", "")
    assert keys["MODEL.RESNETS.BASIC_BLOCK_DILATION"] == "first"  # the same BasicBlock as ResNetV1c's
    cfg["model"]["backbone"]["type"] = "ResNetV1c"
    with pytest.raises(MmsegImportError, match=r"torchvision://resnet18 \(a ResNet file\) on a ResNetV1c"):
        translate(cfg, "x")
    cfg["model"].update(pretrained="open-mmlab://resnet18_v1c", backbone=dict(cfg["model"]["backbone"], type="ResNet"))
    with pytest.raises(MmsegImportError, match=r"open-mmlab://resnet18_v1c \(a ResNetV1c file\) on a ResNet"):
        translate(cfg, "x")


def test_amp_optim_wrapper_is_float16_autocast_with_its_loss_scale(mmseg_dir):
    cfg = load_mmseg_config(str(mmseg_dir / PSPNET))
    optimizer = cfg["optim_wrapper"]["optimizer"]
    cfg["optim_wrapper"] = dict(type="AmpOptimWrapper", optimizer=optimizer, loss_scale=512.0)  # the *-amp-* models
    keys, _ = translate(cfg, "pspnet_r101-d8_4xb2-amp-80k_cityscapes-512x1024")
    assert (keys["SOLVER.AMP.ENABLED"], keys["SOLVER.AMP.DTYPE"], keys["SOLVER.AMP.LOSS_SCALE"]) == (True, "float16", 512.0)
    cfg["optim_wrapper"].pop("loss_scale")
    assert translate(cfg, "x_4xb2")[0]["SOLVER.AMP.LOSS_SCALE"] == 0.0  # mmengine's default: dynamic
    cfg["optim_wrapper"]["loss_scale"] = dict(init_scale=1024)
    with pytest.raises(MmsegImportError, match="optim_wrapper.loss_scale"):
        translate(cfg, "x_4xb2")


def test_fpn_necks_it_cannot_build_are_listed(mmseg_dir):
    cfg = load_mmseg_config(str(mmseg_dir / "sem_fpn/fpn_r50_4xb4-160k_ade20k-512x512.py"))
    cfg["model"]["neck"].update(num_outs=5, add_extra_convs="on_input")
    with pytest.raises(MmsegImportError, match="2 settings have no equivalent") as e:
        translate(cfg, "x_4xb4")
    assert "model.neck=" in str(e.value) and "model.neck.add_extra_convs='on_input'" in str(e.value)

