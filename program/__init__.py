"""The Pulumi program as a function: `program.build(loaded, catalogue)` registers one stack.

`__main__.py` calls `program.main()`; the offline engine, the Automation API driver and the tests
call the same functions."""

from program.stack import PROJECT_DIR, Program, build, load_inputs, main

__all__ = ["PROJECT_DIR", "Program", "build", "load_inputs", "main"]
