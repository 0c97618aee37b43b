"""Publishing what a deployment decided: the gitops tree to its deploy branch, model pins to the stack file."""
