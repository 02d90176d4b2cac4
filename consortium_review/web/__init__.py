"""The local review workspace in the browser (评审工作台): ``consortium-review serve``.

A thin view over the same files and functions the CLI uses:

* ``workspace`` — the folder layout (consortium folders + ``output/``), safe paths, uploads,
  and the expert's decisions, which live in the evidence workbook's expert columns (the one
  source of truth the pipeline reads back on every run);
* ``sources`` — what a piece of evidence looks like in its file (PDF page image with the
  snippet's characters highlighted, Word paragraph in context, Excel row with its header);
* ``jobs`` — reviews started from the browser, one at a time, in worker processes;
* ``app`` — the Starlette application (server-side Jinja2 templates, one small script);
* ``serve`` — the ``serve`` sub-command.
"""
