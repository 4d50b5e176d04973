"""The release dossier: every phase run of one release merged, compared, signed and verified.

``pytest-release dossier`` merges results.json files (runs.py, merge.py), lays them on the
schedule (schedule.py), compares with the previous release of the history (history.py,
compare.py) and writes dossier.json (document.py) and dossier.html (render.py).
``keygen``/``sign``/``verify`` (keyfiles.py, signing.py) sign its canonical form
(canonical.py). The release verdict rule is in merge.py.
"""
