from .catalog import _Todo

DocumentListView = DocumentCreateView = LineRowView = DocumentDetailView = DocumentUpdateView = _Todo
DocumentPostView = DocumentCancelView = DocumentPrintView = _Todo
