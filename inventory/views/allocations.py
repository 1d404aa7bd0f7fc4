from .catalog import _Todo

UnassignedAssignView = LineAllocationsView = LineCandidatesView = _Todo
