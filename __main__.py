"""mlops-platform: one Pulumi stack per environment. The program is `program.build`; see program.py."""

import program

program.main()
