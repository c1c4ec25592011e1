"""``python -m oauthapps.cli``: the same as the ``oauthapps`` console script."""

from . import main

main()
