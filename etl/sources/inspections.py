"""Inspection findings (督查/暗访/实地考评) from the supervision groups' drop folder, XLSX or CSV.

A file is identified by the SHA-256 of its bytes: the same bytes uploaded again are skipped, a changed
re-upload is read again (its rows are updates of the findings with the same 编号). Cells are passed on
as strings, as read: dates stay as written (`2026年9月8日`, `2026/9/8`, or an Excel serial number such as
`46273` where the cell had no date format); cells openpyxl gives as datetimes become ISO strings.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from etl.config import ConfigError, SourceConfig

log = logging.getLogger(__name__)

# Header spellings seen in the groups' sheets, compared after _header_key (NFKC, no spaces, ASCII brackets).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "finding_id": ("编号", "问题编号", "问题序号编号", "编码"),
    "notice_id": ("督办单号", "督办单编号", "督办编号", "通报编号"),
    "found_date": ("发现日期", "发现时间", "督查日期", "检查日期", "巡查日期"),
    "supervision_group": ("督查组", "督查组别", "检查组", "督导组"),
    "district": ("区(县)", "区县", "区(市)", "县(市、区)", "县(市,区)", "县市区", "区(县、市)", "所属区县", "区"),
    "town": ("镇(街)", "镇街", "镇(街道)", "街道(镇)", "镇街道", "镇/街", "所属镇街", "镇"),
    "community": ("社区(村)", "社区村", "村(社区)", "村居", "社区/村", "社区"),
    "site_type": ("点位类型", "点位分类", "点位类别"),
    "site_name": ("点位名称", "具体点位", "点位"),
    "category": ("问题类别", "问题类型", "问题分类"),
    "description": ("问题描述", "存在问题", "问题内容", "具体问题"),
    "department": ("责任单位", "责任部门", "整改责任单位", "整改单位"),
    "due_date": ("整改时限", "整改期限", "限期整改日期", "整改截止日期", "整改时间要求"),
    "feedback": ("整改情况", "整改反馈", "反馈", "整改情况反馈", "反馈情况"),
    "rectified_date": ("整改完成日期", "完成整改日期", "整改完成时间", "完成日期"),
    "reinspected_date": ("复查日期", "复查时间", "回头看日期"),
    "reinspection_result": ("复查结果", "复查结果(通过/未通过)", "复查情况"),
    "score": ("测评得分", "得分", "分数", "评分"),
}
RECORD_FIELDS = tuple(HEADER_ALIASES)
SUFFIXES = (".xlsx", ".xlsm", ".csv")
REFUSED_SUFFIXES = {".xls": "the old Excel format (.xls) is not read; save the sheet as .xlsx"}
HEADER_SCAN_ROWS = 20
MIN_HEADER_MATCHES = 3


class DropFileError(ValueError):
    """A drop file that cannot be read as findings; `file_name`, `sha256`, `path` and `reason` say which and why."""

    def __init__(self, file_name: str, reason: str, *, sha256: str | None = None, path: Path | None = None):
        super().__init__(f"drop file {file_name!r}: {reason}")
        self.file_name = file_name
        self.reason = reason
        self.sha256 = sha256
        self.path = path


@dataclass(frozen=True)
class DropFile:
    """One new drop file, read: its records are in the inspection record contract."""

    name: str
    sha256: str
    path: Path
    mtime: float
    records: list[dict] = field(repr=False)
    header_row: int = 0
    sheet: str | None = None


def _header_key(text: object) -> str:
    key = unicodedata.normalize("NFKC", str(text))
    key = re.sub(r"\s+", "", key)
    return key.replace("（", "(").replace("）", ")").replace("【", "(").replace("】", ")")


_ALIAS_INDEX = {_header_key(alias): name for name, aliases in HEADER_ALIASES.items() for alias in aliases}


def match_header(text: object) -> str | None:
    """The contract field a header cell names, or None; tolerant of spaces, full-width forms and notes in
    brackets (复查结果(通过/未通过) is 复查结果)."""
    if text is None:
        return None
    key = _header_key(text)
    if not key:
        return None
    if key in _ALIAS_INDEX:
        return _ALIAS_INDEX[key]
    bare = re.sub(r"\(.*?\)", "", key)
    return _ALIAS_INDEX.get(bare) if bare else None


def cell_text(value: object) -> str | None:
    """A cell as a string, as read; None for an empty cell. Datetimes become ISO strings, 85.0 becomes 85."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if text.strip() else None


def decode_csv(data: bytes) -> str:
    """Text of a CSV file: UTF-8 (with or without BOM), else GB18030 (a superset of GBK)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _is_blank(row: Iterable[object]) -> bool:
    return all(cell_text(c) is None for c in row)


def _header_columns(row: list[object]) -> dict[int, str]:
    columns: dict[int, str] = {}
    for col, cell in enumerate(row):
        name = match_header(cell)
        if name and name not in columns.values():
            columns[col] = name
    return columns


def _find_header(rows: list[list[object]]) -> tuple[int, dict[int, str], dict[int, object]] | None:
    """The header among the first rows (title rows above it are skipped): its index, its column map and
    its labels. In a two-level header (编号 merged down over two rows, 整改情况 over its sub-columns) the
    lower row is the header and its empty cells take the label above them."""
    best: tuple[int, dict[int, str], dict[int, object]] | None = None
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        columns = _header_columns(row)
        if not columns:
            continue
        labels = dict(enumerate(row))
        if index > 0:
            for col, name in _header_columns(rows[index - 1]).items():
                if cell_text(labels.get(col)) is None and name not in columns.values():
                    columns[col] = name
                    labels[col] = rows[index - 1][col]
        if len(columns) >= MIN_HEADER_MATCHES and (best is None or len(columns) >= len(best[1])):
            best = (index, dict(sorted(columns.items())), labels)
    return best


def read_rows(name: str, rows: list[list[object]]) -> tuple[int, list[dict]]:
    """Records of one sheet's rows (cells as read): the header row's 1-based number and the records
    (file_name, file_sha256 are added by the caller). Raises DropFileError without a recognisable header."""
    if not rows or all(_is_blank(r) for r in rows):
        raise DropFileError(name, "the file is empty")
    found = _find_header(rows)
    if found is None:
        raise DropFileError(
            name,
            f"no recognisable header in the first {HEADER_SCAN_ROWS} rows (expected columns such as "
            "编号, 发现日期, 区(县), 镇(街), 问题类别, 责任单位, 整改时限)",
        )
    header_index, columns, labels = found
    if "finding_id" not in columns.values():
        raise DropFileError(name, f"the header in row {header_index + 1} has no 编号 (finding id) column")
    raw_names: list[str] = []
    for col in range(max(labels, default=-1) + 1):
        label = (cell_text(labels.get(col)) or "").strip() or f"column_{col + 1}"
        raw_names.append(label if label not in raw_names else f"{label}_{col + 1}")
    records = []
    for offset, row in enumerate(rows[header_index + 1:], start=1):
        if _is_blank(row):
            continue
        cells = [cell_text(c) for c in row]
        record = {f: None for f in RECORD_FIELDS}
        for col, field_name in columns.items():
            record[field_name] = cells[col] if col < len(cells) else None
        record["row_number"] = offset
        record["raw"] = {raw_names[col] if col < len(raw_names) else f"column_{col + 1}": value
                         for col, value in enumerate(cells) if value is not None}
        records.append(record)
    return header_index + 1, records


def _xlsx_sheets(name: str, data: bytes) -> list[tuple[str, list[list[object]]]]:
    from openpyxl import load_workbook

    # A broken upload can fail anywhere in openpyxl (zip, XML, styles), and lazily while rows are read:
    # whatever it raises, the file is flagged, never the pull crashed.
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001
        raise DropFileError(name, f"not a readable XLSX workbook ({type(exc).__name__})") from None
    try:
        sheets = []
        for ws in workbook.worksheets:
            ws.reset_dimensions()  # some writers store a wrong used range (A1:A1); read what is there
            sheets.append((ws.title, [list(r) for r in ws.iter_rows(values_only=True)]))
        return sheets
    except Exception as exc:  # noqa: BLE001
        raise DropFileError(name, f"not a readable XLSX workbook ({type(exc).__name__})") from None
    finally:
        workbook.close()


def _csv_rows(data: bytes) -> list[list[object]]:
    text = decode_csv(data)
    head = text[:4096]
    # Excel's "Unicode text" export is tab-separated; everything else the groups send uses commas.
    dialect = csv.excel_tab if head.count("\t") > head.count(",") else csv.excel
    try:
        return [list(r) for r in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as exc:
        raise DropFileError("", f"not a readable CSV ({exc})") from None


def read_drop_file(path: Path, *, name: str | None = None, data: bytes | None = None) -> DropFile:
    """Read one drop file (XLSX or CSV) into contract records; raises DropFileError if it holds no findings table."""
    name = name or path.name
    data = path.read_bytes() if data is None else data
    sha256 = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    try:
        if not data.strip():
            raise DropFileError(name, "the file is empty")
        if suffix in REFUSED_SUFFIXES:
            raise DropFileError(name, REFUSED_SUFFIXES[suffix])
        if suffix == ".csv":
            try:
                sheets = [(None, _csv_rows(data))]
            except DropFileError as exc:
                raise DropFileError(name, exc.reason) from None
        elif suffix in (".xlsx", ".xlsm"):
            sheets = _xlsx_sheets(name, data)
        else:
            raise DropFileError(name, f"unsupported file type {suffix!r}")
        # Every sheet with a findings table is read (a 说明 sheet before it is skipped); row numbers run on.
        records: list[dict] = []
        header_row, first_sheet, readable, problems = 0, None, False, []
        for sheet, rows in sheets:
            try:
                row_of_header, sheet_records = read_rows(name, rows)
            except DropFileError as exc:
                problems.append(exc.reason)
                continue
            if not readable:
                header_row, first_sheet, readable = row_of_header, sheet, True
            base = records[-1]["row_number"] if records else 0
            for r in sheet_records:
                r["row_number"] += base
            records.extend(sheet_records)
        if not readable:
            specific = [p for p in problems if p != "the file is empty"]
            raise DropFileError(name, specific[0] if specific else "the file is empty")
    except DropFileError as exc:
        exc.sha256, exc.path = sha256, path
        raise
    except UnicodeDecodeError:
        raise DropFileError(name, "the CSV is neither UTF-8 nor GBK/GB18030 text", sha256=sha256, path=path) from None
    for r in records:
        r["file_name"] = name
        r["file_sha256"] = sha256
    return DropFile(name=name, sha256=sha256, path=path, mtime=path.stat().st_mtime if path.exists() else 0.0,
                    records=records, header_row=header_row, sheet=first_sheet)


class DropFolder:
    """The supervision groups' drop folder (`extra.path`, else `host`), read file by file in upload order."""

    def __init__(self, cfg: SourceConfig):
        location = (cfg.extra or {}).get("path") or cfg.host
        if not location:
            raise ConfigError(f"connection {cfg.conn_id!r} has no drop folder: set extra.path (or host)")
        self.cfg = cfg
        self.root = Path(location).expanduser()

    def list_files(self) -> list[Path]:
        """Candidate files under the folder (sub-folders too), by name then modification time."""
        if not self.root.is_dir():
            raise ConfigError(f"connection {self.cfg.conn_id!r}: drop folder {str(self.root)!r} does not exist")
        files = [
            p for p in self.root.rglob("*")
            if p.is_file()
            and not p.name.startswith((".", "~$"))
            and (p.suffix.lower() in SUFFIXES or p.suffix.lower() in REFUSED_SUFFIXES)
        ]
        return sorted(files, key=lambda p: (p.relative_to(self.root).as_posix(), p.stat().st_mtime))

    def iter_new_files(self, seen_hashes: set[str], *, on_error: str = "raise") -> Iterator[DropFile]:
        """Files whose content hash is not in `seen_hashes` (checked as each file comes, so hashes the caller
        adds meanwhile count), read into records, in upload order; identical bytes under two names come once.

        A file that is not a findings table raises DropFileError from `next()` (on_error="raise"); the
        iterator stays usable and the next `next()` goes on with the following file, so a caller can flag
        the bad file and carry on. With on_error="collect" it is logged, kept in `self.errors` and skipped.
        """
        if on_error not in ("raise", "collect"):
            raise ValueError("on_error must be 'raise' or 'collect'")
        self.errors: list[DropFileError] = []
        return _NewFiles(self, self.list_files(), seen_hashes, on_error)


class _NewFiles:
    """The iterator of DropFolder.iter_new_files: unlike a generator it survives raising for one bad file."""

    def __init__(self, folder: DropFolder, paths: list[Path], seen: set[str], on_error: str):
        self._folder, self._paths, self._seen, self._on_error = folder, iter(paths), seen, on_error
        self._this_pass: set[str] = set()

    def __iter__(self) -> _NewFiles:
        return self

    def __next__(self) -> DropFile:
        for path in self._paths:
            name = path.relative_to(self._folder.root).as_posix()
            data = path.read_bytes()
            sha256 = hashlib.sha256(data).hexdigest()
            if sha256 in self._seen or sha256 in self._this_pass:
                log.debug("inspections: %s already processed (sha256 %s)", name, sha256[:12])
                continue
            self._this_pass.add(sha256)
            try:
                drop = read_drop_file(path, name=name, data=data)
            except DropFileError as exc:
                log.warning("inspections: %s", exc)
                if self._on_error == "raise":
                    raise
                self._folder.errors.append(exc)
                continue
            log.info("inspections: %s: %d rows (sha256 %s)", name, len(drop.records), sha256[:12])
            return drop
        raise StopIteration
