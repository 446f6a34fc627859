"""Entry point: `python app.py [--host H] [--port P] [--share] [--models DIR] [--vqa-model ID|DIR]
[--retention SECONDS] [--allow-lab-build]`.

Also the `app_file` a Hugging Face Space runs. Everything lives in the `app`
package; this file only hands over to it.
"""
import sys

from vqa.quiet import silence_tf

silence_tf()  # before anything imports TensorFlow

from app.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
