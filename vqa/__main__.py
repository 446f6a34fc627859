import sys

from vqa.quiet import silence_tf

silence_tf()  # before vqa.cli's imports can reach TensorFlow

from vqa.cli import main  # noqa: E402

sys.exit(main())
