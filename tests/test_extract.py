from audioprobe.extract import extract_code, syntax_error


def test_python_fence_wins_over_other_fences():
    answer = "Run:\n```bash\npip install numpy\n```\nThen:\n```python\nimport numpy\nx = 1\n```\n"
    got = extract_code(answer)
    assert got.method == "python_fence"
    assert got.code == "import numpy\nx = 1\n"


def test_longest_python_block_is_taken():
    answer = "```python\nx = 1\n```\nand the full script:\n```py\nimport os\ny = 2\nz = 3\n```"
    assert extract_code(answer).code == "import os\ny = 2\nz = 3\n"


def test_untagged_fence_is_used_when_no_python_fence():
    got = extract_code("```\nimport math\nprint(math.pi)\n```")
    assert got.method == "largest_fence"
    assert "math.pi" in got.code


def test_answer_cut_off_inside_a_fence_still_yields_code():
    got = extract_code("Here you go\n```python\nimport numpy as np\nx = np.ones(3)\n")
    assert got.method == "python_fence"
    assert got.code.startswith("import numpy")


def test_bare_code_and_prose():
    assert extract_code("import numpy as np\nx = np.zeros(4)\n").method == "bare_code"
    prose = "I cannot write that program, sorry. It would need a speech model."
    assert extract_code(prose).method == "none"
    assert not extract_code(prose).found


def test_syntax_error_names_line():
    assert syntax_error("x = 1\ndef f(:\n  pass\n") == (
        "SyntaxError: invalid syntax (script.py, line 2)"
    )
    assert syntax_error("x = 1\n") is None
