"""Raw contact maps -> the balanced cooler at `bin_size` that the Hi-C chain reads, built with cooler's own CLI.

A map may be a 4DN-format .pairs(.gz) (binned with `cooler cload pairs`, which streams the file in chunks), an
unbalanced .cool / .mcool::resolutions/N (copied with `cooler cp`, never balanced in place), or an .mcool without
`bin_size` but with a resolution dividing it (`cooler coarsen`). Every result is balanced with `cooler balance`
(ICE; cooler's defaults or the map's `balance:` options) and written atomically to one .cool.
"""

from __future__ import annotations

import gzip
import logging
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import cooler

from regformer.chains.hic.coolers import alias_hint, check_lengths
from regformer.errors import InputError
from regformer.io.atomic import atomic_path
from regformer.io.fasta import open_fasta

_LOG = logging.getLogger(__name__)
BALANCE_FLAGS = {"mad_max": "--mad-max", "min_nnz": "--min-nnz", "ignore_diags": "--ignore-diags"}
_NEEDED_COLUMNS = ("chr1", "pos1", "chr2", "pos2")


def run_cooler(args: list[str], source: str, fix: str) -> None:
    """Run one `cooler` CLI command (from this Python's environment); its failure becomes an InputError."""
    command = [sys.executable, "-m", "cooler", *args]
    _LOG.info("running %s", " ".join(["cooler", *args]))
    result = subprocess.run(command, capture_output=True, text=True)
    if result.stdout.strip():
        _LOG.info("%s", result.stdout.strip()[-2000:])
    if result.returncode:
        last = (result.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise InputError(source, f"`cooler {args[0]} {args[1] if args[0] == 'cload' else ''}` failed: {last}", fix)


def read_pairs_header(path: str) -> tuple[dict[str, int], dict[str, int]]:
    """Column numbers (1-based, as `cooler cload pairs` wants) and #chromsize entries of a 4DN .pairs header."""
    opener = gzip.open if str(path).endswith(".gz") else open
    columns, chromsizes = None, {}
    try:
        with opener(path, "rt") as handle:
            first = handle.readline()
            if not first.startswith("## pairs format"):
                raise InputError(path, f"does not start with the 4DN header line '## pairs format v1.0' (starts with "
                                 f"{first[:40]!r})", "give a 4DN .pairs/.pairs.gz (pairtools and the 4DN portal "
                                 "write one), or add the header: see https://github.com/4dn-dcic/pairix/blob/master/"
                                 "pairs_format_specification.md")
            for line in handle:
                if not line.startswith("#"):
                    break
                if line.startswith("#chromsize:"):
                    name, length = line.split()[1:3]
                    chromsizes[name] = int(length)
                elif line.startswith("#columns:"):
                    columns = {name: i + 1 for i, name in enumerate(line.split()[1:])}
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot read the pairs header ({exc})", "re-download the file") from exc
    if columns is None or not all(c in columns for c in _NEEDED_COLUMNS):
        raise InputError(path, f"the header has no '#columns:' line naming {', '.join(_NEEDED_COLUMNS)}",
                         "add the 4DN '#columns: readID chr1 pos1 chr2 pos2 strand1 strand2' line")
    return columns, chromsizes


def chromsizes_for(fasta: str, chromosomes: list[str] | None, aliases: dict[str, str] | None) -> dict[str, int]:
    """Map-side chromosome name -> FASTA length, for the configured chromosomes (all FASTA sequences if none)."""
    _, sizes = open_fasta(fasta)
    aliases = dict(aliases or {})
    chosen = list(chromosomes or sizes)
    unknown = [c for c in chosen if c not in sizes]
    if unknown:
        raise InputError(fasta, f"chromosomes {', '.join(unknown[:5])} are not in the FASTA",
                         "fix `chromosomes:` in the dataset's config")
    return {aliases.get(c, c): sizes[c] for c in chosen}


def _check_pairs_chromosomes(path: str, header_sizes: dict[str, int], wanted: dict[str, int],
                             length_tolerance: int) -> None:
    """Every wanted chromosome must be in the pairs header (when it lists #chromsize), else an alias hint; its
    length there must match the FASTA's within length_tolerance (else another assembly)."""
    missing = [c for c in wanted if c not in header_sizes]
    if header_sizes and not missing:
        check_lengths(path, {c: c for c in wanted}, wanted, header_sizes, length_tolerance)
    if header_sizes and missing:
        shown = ", ".join(missing[:10]) + (", ..." if len(missing) > 10 else "")
        raise InputError(path, f"chromosomes {shown} are not in the pairs file (its header lists "
                         f"{', '.join(list(header_sizes)[:10])})", alias_hint(missing, {m: m for m in missing},
                                                                           list(header_sizes)))


def bin_pairs(pairs: str, out: Path, chromsizes: dict[str, int], bin_size: int, length_tolerance: int = 0,
              chunksize: int | None = None) -> None:
    """`cooler cload pairs` into `out` at `bin_size` over `chromsizes`, streamed in chunks of `chunksize` records
    (cooler's 15 M by default: memory follows the chunk, not the file). Pairs on other chromosomes (unplaced
    contigs, chrM) are left out by cooler, as the chain never reads them."""
    columns, header_sizes = read_pairs_header(pairs)
    _check_pairs_chromosomes(pairs, header_sizes, chromsizes, length_tolerance)
    with tempfile.TemporaryDirectory() as tmp:
        sizes_file = Path(tmp) / "chrom.sizes"
        sizes_file.write_text("".join(f"{c}\t{n}\n" for c, n in chromsizes.items()))
        try:
            run_cooler(["cload", "pairs", "-c1", str(columns["chr1"]), "-p1", str(columns["pos1"]),
                        "-c2", str(columns["chr2"]), "-p2", str(columns["pos2"]),
                        *(["--chunksize", str(chunksize)] if chunksize else []),
                        f"{sizes_file}:{bin_size}", str(pairs), str(out)],
                       pairs, "the file is probably truncated or corrupt: delete it and download it again")
        except InputError as err:  # cooler's words for "every record was on another chromosome"
            if "No objects to concatenate" not in err.problem:
                raise
            empty = True
        else:
            empty = not cooler.Cooler(str(out)).info.get("sum")
    if empty:
        raise InputError(pairs, f"no pair lies on the chromosomes {', '.join(list(chromsizes)[:5])}",
                         "check the chromosome names: add aliases (FASTA name -> pairs name) to the dataset")


def balance(path: Path, options: dict | None, threads: int, source: str) -> None:
    """ICE-balance the cooler at `path` (cooler's defaults unless `options` give mad_max/min_nnz/ignore_diags/
    cis_only); an existing weight column is replaced."""
    options = dict(options or {})
    args = ["balance", "--force", "--nproc", str(max(1, threads))]
    for key, flag in BALANCE_FLAGS.items():
        if key in options:
            args += [flag, str(options[key])]
    if options.get("cis_only"):
        args.append("--cis-only")
    run_cooler([*args, str(path)], source, "check the map's balance: options")


def pick_resolution(uri: str, bin_size: int) -> tuple[str, int]:
    """(cooler URI to read, coarsening factor): the URI at `bin_size`, else the coarsest resolution dividing it."""
    path, _, group = uri.partition("::")
    try:
        if group or not cooler.fileops.is_multires_file(path):
            return uri, _factor(uri, cooler.Cooler(uri).binsize, bin_size, [cooler.Cooler(uri).binsize])
        resolutions = sorted(int(g.rsplit("/", 1)[1]) for g in cooler.fileops.list_coolers(path))
    except (OSError, KeyError, ValueError) as exc:
        raise InputError(uri, f"cannot open the cooler ({exc})", "give FILE.cool, FILE.mcool or "
                         "FILE.mcool::resolutions/N") from exc
    divisors = [r for r in resolutions if bin_size % r == 0]
    best = max(divisors) if divisors else resolutions[0]
    return f"{path}::resolutions/{best}", _factor(path, best, bin_size, resolutions)


def _factor(uri: str, resolution: int, bin_size: int, available: list[int]) -> int:
    if bin_size % resolution:
        raise InputError(uri, f"has resolution(s) {', '.join(map(str, available))} bp, none divides bin_size "
                         f"{bin_size} bp", "give a cooler at bin_size or a divisor of it, or the .pairs file")
    return bin_size // resolution


def copy_or_coarsen(uri: str, out: Path, bin_size: int, threads: int) -> bool:
    """Write the map at `bin_size` to `out` (a copy, or coarsened); return whether it already had weights."""
    source, factor = pick_resolution(uri, bin_size)
    if factor == 1:
        run_cooler(["cp", source, str(out)], uri, "check that the cooler is complete")
        return "weight" in cooler.Cooler(str(out)).bins().columns
    _LOG.info("%s has no %d bp resolution: coarsening %s by %d with cooler coarsen, then balancing",
              uri, bin_size, source, factor)
    run_cooler(["coarsen", "-k", str(factor), "-p", str(max(1, threads)), "-o", str(out), source], uri,
               "check that the cooler is complete")
    return False


def prepare_map(source: str, kind: str, dest: str | Path, *, fasta: str, bin_size: int,
                chromosomes: list[str] | None = None, aliases: dict[str, str] | None = None,
                balance_options: dict | None = None, threads: int = 1, length_tolerance: int = 0,
                chunksize: int | None = None) -> Path:
    """Build the balanced `bin_size` cooler `dest` from a `kind` ('pairs' or 'cooler') source; atomic."""
    with atomic_path(dest) as tmp:
        if kind == "pairs":
            bin_pairs(source, tmp, chromsizes_for(fasta, chromosomes, aliases), bin_size, length_tolerance,
                      chunksize)
            weighted = False
        else:
            weighted = copy_or_coarsen(source, tmp, bin_size, threads)
        if weighted and not balance_options:
            _LOG.info("%s is balanced already: weights kept", source)
        else:
            balance(tmp, balance_options, threads, source)
        clr = cooler.Cooler(str(tmp))
        _LOG.info("%s: %d bins, %d pixels, %d contacts at %d bp", dest, clr.info["nbins"], clr.info["nnz"],
                  int(clr.info.get("sum", 0)), clr.binsize)
    return Path(dest)


def usable_as_is(uri: str, bin_size: int) -> str | None:
    """The URI to read when `uri` is an existing cooler balanced at `bin_size` (an .mcool resolved to it);
    None when it must be prepared first (or cannot be opened: rule hic_map then says why)."""
    path, _, group = uri.partition("::")
    try:
        if not group and cooler.fileops.is_multires_file(path):
            uri = f"{path}::resolutions/{bin_size}"
        clr = cooler.Cooler(uri)
        return uri if clr.binsize == bin_size and "weight" in clr.bins().columns else None
    except Exception:  # noqa: BLE001 - a missing or unreadable file is reported by the rule that reads it
        return None
