"""Entry point: `python app.py [--host H] [--port P] [--share] [--models DIR] [--vqa-model ID|DIR]`.

Also the `app_file` a Hugging Face Space runs. Everything lives in the `app`
package; this file only hands over to it.
"""
import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
