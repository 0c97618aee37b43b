"""mlops-platform: one Pulumi stack per environment. `pulumi up` runs this file, which runs
`program.main()` (program/stack.py): validate the stack's settings and the catalogue, then register
every resource."""

import program

program.main()
