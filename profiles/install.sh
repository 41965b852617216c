#!/bin/sh
# Make `snakemake --profile slurm` / `--profile local` work as typed, from any directory: Snakemake looks a
# profile name up in the current directory, then $XDG_CONFIG_HOME/snakemake (~/.config/snakemake), then
# /etc/xdg/snakemake, never in the workflow's profiles/. So link this checkout's profiles there, once.
# A profile of that name that is not ours is never replaced: we say so, and `--profile profiles/NAME` still works.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dest="${XDG_CONFIG_HOME:-$HOME/.config}/snakemake"
mkdir -p "$dest"
for name in local slurm; do
    target="$dest/$name"
    if [ -L "$target" ] && [ "$(readlink "$target")" = "$here/$name" ]; then
        continue
    elif [ -e "$target" ] || [ -L "$target" ]; then
        echo "profiles: kept your own $target; use --profile $here/$name for regformer's" >&2
    else
        ln -s "$here/$name" "$target"
        echo "profiles: linked $target -> $here/$name (snakemake --profile $name)"
    fi
done
