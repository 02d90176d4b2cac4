"""Render stage: assessment (``assess``) and the Word/Excel/PNG outputs built from evidence.json.

Renderers called by the pipeline, in order: ``workbook`` (证据清单.xlsx, reads the expert's edits
back first), ``charts`` (PNG), ``review_opinion`` (评审意见.docx).  ``officedoc`` holds the
GB/T 9704 layout helpers shared by every Word output.
"""
