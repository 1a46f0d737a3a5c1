"""Train the sample models of 8_8_final_report: a fully connected network and a small CNN on the
course's katakana training data, the weights into ``course/data/day8_final_report_{fc,cnn}.npz``
(the submission format of ``course.katakana.save_model``) and the learning curves of every run
("what was tried") into ``course/data/day8_final_report_runs.json``.

    python scripts/record_day8_final_report.py      # about 2-4 minutes on one core

Validation: ``holdout_split(x, t)`` (600 images, 40 per character), never used for training.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course.augment import katakana_augment  # noqa: E402
from course.katakana import LABELS, holdout_split, load_katakana, save_model  # noqa: E402
from course.networks import ConvNet, MultiLayerNet  # noqa: E402
from course.training import Trainer, cosine_schedule  # noqa: E402

DATA = ROOT / "course" / "data"


def augment_images(x_batch, rng):
    return katakana_augment(x_batch.reshape(-1, 28, 28), rng).reshape(x_batch.shape)


def run(name, network, x_train, t_train, x_val, t_val, *, epochs, lr, augment, note):
    start = time.perf_counter()
    trainer = Trainer(network, x_train, t_train, x_val, t_val, epochs=epochs, mini_batch_size=100,
                      optimizer="adam", optimizer_param={"lr": lr}, augment=augment_images if augment else None,
                      lr_schedule=cosine_schedule, evaluate_sample_num_per_epoch=600, seed=0)
    history = trainer.train()
    seconds = time.perf_counter() - start
    print(f"{name}: validation accuracy {history['val_acc_list'][-1]:.4f} after {epochs} epochs, {seconds:.0f} s")
    return {"name": name, "note": note, "architecture": network.architecture,
            "hyperparameters": {"epochs": epochs, "lr": lr, "optimizer": "adam", "batch": 100,
                                "augment": augment, "lr_schedule": "cosine"},
            "seconds": round(seconds, 1),
            "history": {k: [round(float(v), 5) for v in values] for k, values in history.items()}}


def main():
    x, t = load_katakana()
    x_train, t_train, x_val, t_val = holdout_split(x, t)
    img_train = (x_train.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    img_val = (x_val.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    flat_train, flat_val = img_train.reshape(len(img_train), -1), img_val.reshape(len(img_val), -1)
    runs = []

    fc_plain = MultiLayerNet(784, [100, 100], len(LABELS), seed=0, dtype=np.float32)
    runs.append(run("fc_no_augment", fc_plain, flat_train, t_train, flat_val, t_val, epochs=10, lr=0.001,
                    augment=False, note="全結合 100-100、データ拡張なし"))
    fc = MultiLayerNet(784, [100, 100], len(LABELS), seed=0, dtype=np.float32)
    runs.append(run("fc_augment", fc, flat_train, t_train, flat_val, t_val, epochs=10, lr=0.001,
                    augment=True, note="全結合 100-100、データ拡張あり"))
    cnn = ConvNet(input_dim=(1, 28, 28), conv_channels=(8, 8, 16, 16), hidden_size=64, output_size=len(LABELS),
                  dropout_ratio=0.3, seed=0, dtype=np.float32)
    runs.append(run("cnn_augment", cnn, img_train, t_train, img_val, t_val, epochs=6, lr=0.003,
                    augment=True, note="CNN 8-8-16-16、データ拡張あり"))

    save_model(DATA / "day8_final_report_fc.npz", fc.params, architecture=fc.architecture, inputs=flat_train)
    save_model(DATA / "day8_final_report_cnn.npz", cnn.params, architecture=cnn.architecture, inputs=img_train)
    record = {"generated_by": "scripts/record_day8_final_report.py", "validation": "holdout_split(x, t): 600 images",
              "runs": runs}
    (DATA / "day8_final_report_runs.json").write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n",
                                                      encoding="utf-8")
    print("wrote", ", ".join(f"course/data/day8_final_report_{s}" for s in ("fc.npz", "cnn.npz", "runs.json")))


if __name__ == "__main__":
    main()
