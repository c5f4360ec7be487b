# Shared by install.sh and uninstall.sh (sourced, not run). Expects $dry_run to be true or false.

# Runs a command; in a dry run, prints it shell-quoted instead.
run() {
    if $dry_run; then
        printf '+'
        printf ' %q' "$@"
        printf '\n'
    else
        "$@"
    fi
}

# A message about the outcome; in a dry run, about what would happen.
note() {
    if $dry_run; then echo "# (dry run) $*"; else echo "$*"; fi
}
