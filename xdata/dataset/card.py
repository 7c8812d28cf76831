"""A Hugging Face dataset card (README.md with YAML front matter) for a dataset version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _size_category(n: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                         (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if n < limit:
            return label
    return "10M<n<100M"


def card(manifest: dict[str, Any]) -> str:
    stats = manifest.get("stats", {})
    langs = [lang.split("-")[0] for lang in stats.get("languages", [])]
    langs = sorted(dict.fromkeys(langs))
    yaml = ["---"]
    yaml.append("language:")
    yaml += [f"- {lang}" for lang in langs] or ["- und"]
    lic = manifest.get("license") or "other"
    yaml.append(f"license: {lic.lower()}")
    yaml.append("task_categories:")
    yaml += [f"- {t}" for t in manifest.get("task_categories", ["translation"])]
    yaml.append("size_categories:")
    yaml.append(f"- {_size_category(manifest['rows'])}")
    yaml.append("tags:")
    yaml += ["- xdata", f"- {manifest.get('kind')}"] + (["- synthetic"] if manifest.get("synthetic") else [])
    yaml.append("configs:")
    yaml.append("- config_name: default")
    yaml.append("  data_files:")
    yaml.append("  - split: train")
    yaml.append("    path: data/*.parquet")
    yaml.append("---")
    lines = yaml + [
        "",
        f"# {manifest['name']} (version `{manifest['version']}`)",
        "",
        manifest.get("description") or "A dataset made with xdata.",
        "",
        f"- rows: {manifest['rows']:,} (rejected: {manifest.get('rejected_rows', 0):,})",
        f"- record kind: `{manifest.get('kind')}`",
        f"- synthetic: {'yes' if manifest.get('synthetic') else 'no'}",
        f"- seed: {manifest.get('seed')}",
        f"- content digest: `{manifest['content_digest']}`",
        f"- made by xdata {manifest.get('xdata_version')} on {manifest.get('created')}",
        "",
        "## Provenance",
        "",
        "Inputs:",
        "",
    ]
    for i in manifest.get("inputs", []):
        lines.append(f"- `{i['name']}` version `{i['version']}` ({i.get('format')}, {i.get('digest_algorithm', 'sha256')} `{i['digest'][:16]}...`)")
    lines += ["", "Steps, in order:", ""]
    for s in manifest.get("steps", []):
        lines.append(f"1. `{s['signature']}` params `{json.dumps(s['params'], sort_keys=True)}`")
        for r, d in s.get("resources", {}).items():
            lines.append(f"   - resource `{r}`: `{d}`")
    if not manifest.get("steps"):
        lines.append("(none)")
    lines += ["", "## Statistics", "", "| language | rows |", "|---|---:|"]
    for k, n in stats.get("rows_per_language", {}).items():
        lines.append(f"| {k} | {n:,} |")
    lines += ["", "Row accounting (in = out + rejected):", "", "| step | in | out | rejected |", "|---|---:|---:|---:|"]
    for a in manifest.get("accounting", []):
        lines.append(f"| `{a['step']}` | {a['in']:,} | {a['out']:,} | {a['rejected']:,} |")
    if stats.get("reject_reasons"):
        lines += ["", "Reject reasons:", "", "| step: reason | rows |", "|---|---:|"]
        for k, n in stats["reject_reasons"].items():
            lines.append(f"| {k.replace('|', '/')} | {n:,} |")
    lines += ["", "## Loading", "", "```python", "import datasets",
              'ds = datasets.load_dataset("parquet", data_dir="<this directory>/data")', "```", "",
              "Check integrity with `xdata verify <this directory>`; trace a row with `xdata trace <dir> <id>`.", ""]
    return "\n".join(lines)


def write_card(directory: str | Path, manifest: dict[str, Any]) -> None:
    path = Path(directory) / "README.md"
    tmp = path.with_name(".README.md.tmp")
    tmp.write_text(card(manifest), encoding="utf-8")
    tmp.replace(path)
