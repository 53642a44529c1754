import copy

import pytest

from robustmed.errors import RecipeError
from robustmed.recipes import load_recipe, parse_recipe

VALID = {
    "name": "t",
    "dataset": {"name": "ad_data"},
    "model": {"reference": "ad_late_fusion"},
    "analyses": [{"kind": "degradation", "generators": ["gaussian_noise"]}],
}


def _with(path, value):
    data = copy.deepcopy(VALID)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


def test_valid_recipe_parses():
    recipe = parse_recipe(VALID)
    assert recipe.analyses[0].levels == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_builtin_recipe_loads_by_name():
    assert load_recipe("quickstart").name == "quickstart"


def test_unknown_field_named():
    with pytest.raises(RecipeError, match=r"seeed: unknown field"):
        parse_recipe(_with(["seeed"], 3))


def test_wrong_type_named():
    with pytest.raises(RecipeError, match=r"batch_size: .*integer"):
        parse_recipe(_with(["batch_size"], "big"))


def test_unknown_generator_lists_allowed():
    with pytest.raises(RecipeError, match=r"unknown generator 'blur'; allowed: .*gaussian_noise"):
        parse_recipe(_with(["analyses", 0, "generators"], ["blur"]))


def test_level_out_of_range():
    with pytest.raises(RecipeError, match=r"levels: level 6.0 is out of range; allowed: numbers from 0 to 5"):
        parse_recipe(_with(["analyses", 0, "levels"], [0, 6]))


def test_levels_need_clean_reference():
    with pytest.raises(RecipeError, match="must include 0"):
        parse_recipe(_with(["analyses", 0, "levels"], [1, 2]))


def test_unknown_dataset_lists_allowed():
    with pytest.raises(RecipeError, match=r"dataset.name: unknown dataset 'mimic'; allowed: .*ad_data"):
        parse_recipe(_with(["dataset", "name"], "mimic"))


def test_unknown_device_lists_allowed():
    with pytest.raises(RecipeError, match=r"device: invalid value 'tpu'; allowed: 'cpu' or 'cuda'"):
        parse_recipe(_with(["device"], "tpu"))


def test_missing_recipe_file():
    with pytest.raises(RecipeError, match="neither a file nor a built-in recipe"):
        load_recipe("no_such_recipe")


def test_unsafe_yaml_rejected(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("name: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(RecipeError, match="uses a YAML tag that safe loading rejects"):
        load_recipe(path)


def test_invalid_yaml_message(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed\n")
    with pytest.raises(RecipeError, match="not valid YAML"):
        load_recipe(path)


def test_duplicate_key_rejected(tmp_path):
    path = tmp_path / "twice.yaml"
    path.write_text("dataset: {name: ad_data}\nbootstrap:\n  n_resamples: 1000\n  n_resamples: 200\n")
    with pytest.raises(RecipeError, match=r"key 'n_resamples' appears twice in one mapping \(second time on line 4\)"):
        load_recipe(path)



@pytest.mark.parametrize("name", ["quickstart", "paper", "multimed_mini"])
def test_builtin_recipes_load_with_unique_keys(name):
    # The same key in different mappings (dataset name, analysis name) is allowed.
    assert load_recipe(name) is not None
