"""MLCommons Croissant 1.0 metadata (with the Croissant RAI fields the manifest can fill)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
    "samplingRate": "cr:samplingRate",
    "equivalentProperty": "cr:equivalentProperty",
}

_TYPES = {"String": "sc:Text", "Int64": "sc:Integer", "Int32": "sc:Integer", "Float64": "sc:Float",
          "Float32": "sc:Float", "Boolean": "sc:Boolean"}

LICENSE_URLS = {
    "cc-by-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "cc-by-sa-3.0": "https://creativecommons.org/licenses/by-sa/3.0/",
    "cc-by-sa-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "cc-by-nc-4.0": "https://creativecommons.org/licenses/by-nc/4.0/",
    "cc0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "apache-2.0": "https://www.apache.org/licenses/LICENSE-2.0",
    "mit": "https://opensource.org/license/mit",
}


def croissant(manifest: dict[str, Any]) -> dict[str, Any]:
    """The Croissant JSON-LD document for a dataset manifest."""
    name = manifest["name"]
    files = []
    for s in manifest["shards"]:
        files.append({
            "@type": "cr:FileObject",
            "@id": s["path"],
            "name": s["path"],
            "contentUrl": s["path"],
            "encodingFormat": "application/x-parquet",
            "sha256": s["sha256"],
            "contentSize": f"{s.get('bytes', 0)} B",
        })
    fileset = {"@type": "cr:FileSet", "@id": "parquet-shards", "name": "parquet-shards",
               "encodingFormat": "application/x-parquet", "includes": "data/*.parquet"}
    fields = []
    for col, dtype in manifest["schema"].items():
        repeated = dtype.startswith("List")
        inner = dtype[5:-1] if repeated else dtype
        f: dict[str, Any] = {
            "@type": "cr:Field",
            "@id": f"rows/{col}",
            "name": col,
            "description": _FIELD_DOCS.get(col, f"column {col}"),
            "dataType": _TYPES.get(inner, "sc:Text"),
            "source": {"fileSet": {"@id": "parquet-shards"}, "extract": {"column": col}},
        }
        if repeated:
            f["repeated"] = True
        fields.append(f)
    inputs = manifest.get("inputs", [])
    steps = manifest.get("steps", [])
    lic = manifest.get("license") or "other"
    doc: dict[str, Any] = {
        "@context": _CONTEXT,
        "@type": "sc:Dataset",
        "name": name,
        "description": manifest.get("description") or f"{name}: a dataset made with xdata.",
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "version": _semver(manifest["version"]),
        "license": LICENSE_URLS.get(lic.lower(), lic),
        "url": f"file:{name}/{manifest['version']}",
        "datePublished": manifest["created"][:10],
        "inLanguage": manifest.get("stats", {}).get("languages", []),
        "keywords": ["xdata", "low-resource languages", manifest.get("kind", "")],
        "isAccessibleForFree": True,
        "citeAs": f"@misc{{{_bibkey(name)}, title={{{name} (version {manifest['version']})}}, note={{made with xdata}}}}",
        "distribution": files + [fileset],
        "recordSet": [{"@type": "cr:RecordSet", "@id": "rows", "name": "rows",
                       "description": f"{manifest.get('kind')} records with provenance", "field": fields}],
        "rai:dataCollection": "Made by an xdata pipeline from the inputs "
        + ", ".join(f"{i['name']}@{i['version']}" for i in inputs)
        + "; steps: " + (", ".join(s["signature"] for s in steps) or "none") + ".",
        "rai:dataCollectionType": ["Synthetic"] if manifest.get("synthetic") else ["Others"],
        "rai:dataPreprocessingProtocol": [f"{s['signature']} {json.dumps(s['params'], sort_keys=True)}" for s in steps],
        "rai:dataLimitations": (
            "Rows are machine-made (synthetic) and may contain translation or substitution errors."
            if manifest.get("synthetic") else "Inherits the limitations of its inputs."
        ),
        "rai:hasSyntheticData": bool(manifest.get("synthetic")),
        "prov:wasDerivedFrom": [{"@id": f"{i['name']}@{i['version']}", "name": i["name"]} for i in inputs],
    }
    doc["@context"] = {**_CONTEXT, "prov": "http://www.w3.org/ns/prov#"}
    return doc


def _bibkey(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name) or "dataset"


def _semver(version: str) -> str:
    # Croissant wants MAJOR.MINOR.PATCH; our versions are content fingerprints.
    return f"1.0.0+{version}"


_FIELD_DOCS = {
    "id": "stable content-derived row id",
    "src_dataset": "name of the input dataset the row came from",
    "src_version": "version (content digest) of that input",
    "src_row": "0-based row number in that input",
    "parents": "ids of the rows this row was made from",
    "steps": "signatures (name@version:params digest) of the steps that touched the row",
    "seed": "recipe seed",
    "meta": "JSON object with per-row step details (scores, substitutions, decoding)",
    "lang": "language tag (BCP-47)",
    "text": "sentence text",
    "src_lang": "source-side language tag",
    "tgt_lang": "target-side language tag",
    "src": "source-side text",
    "tgt": "target-side text",
    "tokens": "tokens of the sentence",
    "tags": "one tag per token",
}


def write_croissant(directory: str | Path, manifest: dict[str, Any]) -> None:
    path = Path(directory) / "croissant.json"
    tmp = path.with_name(".croissant.json.tmp")
    tmp.write_text(json.dumps(croissant(manifest), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
