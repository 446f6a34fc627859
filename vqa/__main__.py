import sys

from vqa.cli import main

sys.exit(main())
