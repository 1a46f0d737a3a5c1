"""Record the full training run of 7.5: a decoder-only transformer that reverses 12-digit strings.

    python scripts/record_day7_transformer.py            # a few minutes on one core

Writes ``course/data/day7_transformer.npz`` (plain arrays, no pickle; ``generated_by`` names this script):
the curves (``step``, ``loss``, ``train_digit_accuracy``, ``test_exact_match``, ``seconds``), the attention
weights of every block and head for one test problem (``attention_maps`` (layers, heads, T, T),
``attention_example``), a few greedy generations and the configuration. The model is the notebook's
(``course.transformer.ReverseTransformer``) with the reference attention layer and positional encoding of
``course.transformer_attention``; ``tests/test_day7_transformer_record.py`` asserts the claims the notebook
makes about the record.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from course.transformer import ReverseTransformer, exact_match_accuracy, format_digits, reverse_task, train_reverse
from course.transformer_attention import MultiHeadAttention, positional_encoding

OUT = Path(__file__).resolve().parent.parent / "course" / "data" / "day7_transformer.npz"

CONFIG = dict(length=12, d_model=32, num_heads=4, d_ff=64, num_layers=2, model_seed=0, data_seed=1, test_seed=123,
              test_size=1000, steps=600, batch_size=64, lr=3e-3, eval_every=25)


def main():
    c = CONFIG
    L = c["length"]
    model = ReverseTransformer(MultiHeadAttention, positional_encoding(2 * L, c["d_model"]), d_model=c["d_model"],
                               num_heads=c["num_heads"], d_ff=c["d_ff"], num_layers=c["num_layers"], seed=c["model_seed"])
    test = reverse_task(c["test_size"], L, np.random.default_rng(c["test_seed"]))
    start = time.perf_counter()
    history = train_reverse(model, length=L, steps=c["steps"], batch_size=c["batch_size"], lr=c["lr"],
                            seed=c["data_seed"], eval_every=c["eval_every"], test=test)
    train_seconds = time.perf_counter() - start
    final = exact_match_accuracy(model, test, L)

    example = test[0]
    model.predict(example[np.newaxis, :-1])
    maps = np.stack([w[0] for w in model.attention_maps()])  # (layers, heads, T, T)
    generated = model.generate(test[:8, :L + 1], L)

    # how much weight each answer position puts on its mirrored question position (the "diagonal")
    T = 2 * L
    mirror = np.array([[maps[layer, head, L + k, L - 1 - k] for k in range(L)]
                       for layer in range(maps.shape[0]) for head in range(maps.shape[1])])
    description = (f"decoder-only transformer ({c['num_layers']} blocks, d_model={c['d_model']}, {c['num_heads']} heads, "
                   f"d_ff={c['d_ff']}) reversing {L}-digit strings; {c['steps']} Adam steps (lr={c['lr']}) of "
                   f"{c['batch_size']} fresh problems; exact match of greedy generation on {c['test_size']} test problems")
    record = dict(
        generated_by=np.array("scripts/record_day7_transformer.py"),
        description=np.array(description),
        step=np.array(history["step"]), loss=np.array(history["loss"]),
        train_digit_accuracy=np.array(history["train_digit_accuracy"]),
        test_exact_match=np.array(history["test_exact_match"]), seconds=np.array(history["seconds"]),
        train_seconds=np.array(train_seconds), final_test_exact_match=np.array(final),
        attention_maps=maps, attention_example=example, generated=generated, test_inputs=test[:8],
        max_mirror_weight=np.array(mirror.mean(axis=1).max()),
        **{k: np.array(v) for k, v in c.items()},
    )
    np.savez_compressed(OUT, **record)
    print(description)
    for s, loss, acc, em, sec in zip(*(history[k] for k in ("step", "loss", "train_digit_accuracy",
                                                             "test_exact_match", "seconds"))):
        print(f"step {s:4d}  loss {loss:.4f}  digit acc {acc:.4f}  test exact match {em:.4f}  {sec:6.1f} s")
    print(f"final exact match {final:.4f}, training {train_seconds:.0f} s, "
          f"largest mean weight on the mirrored position (best head) {float(record['max_mirror_weight']):.3f}, T = {T}")
    for row in generated:
        print(format_digits(row))
    print(f"wrote {OUT.relative_to(OUT.parent.parent.parent)}")


if __name__ == "__main__":
    main()
