"""The interactive examples the reference deployment serves, grouped by page.

The PHP snippets follow the original site's Laravel-style ``User`` model, reduced to
plain PHP so they run in the sandbox without a framework; the Python ones show the
same ideas. ``expected_output`` is exact stdout, used for ``data-expected-output``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Example:
    """One interactive example."""

    id: str
    title: str
    language: str
    code: str
    description: str
    expected_output: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """A page of examples."""

    path: str
    title: str
    intro: str
    examples: tuple[Example, ...]


USER_MODEL_BASIC = Example(
    id="user-model-basic",
    title="A User model with mass-assignment protection",
    language="php",
    description=(
        "Only attributes listed in $fillable can be mass-assigned, so a request "
        "cannot make itself an administrator."
    ),
    code="""<?php
// A Laravel-style User model, reduced to plain PHP so it runs anywhere.
class User
{
    protected array $fillable = ['name', 'email'];
    protected array $attributes = [];

    public function __construct(array $attributes = [])
    {
        foreach ($attributes as $key => $value) {
            if (in_array($key, $this->fillable, true)) {
                $this->attributes[$key] = $value;
            }
        }
    }

    public function __get(string $key): mixed
    {
        return $this->attributes[$key] ?? null;
    }
}

$user = new User([
    'name' => 'Ada Lovelace',
    'email' => 'ada@example.com',
    'is_admin' => true,
]);

echo $user->name . PHP_EOL;
echo ($user->is_admin ? 'admin' : 'not an admin') . PHP_EOL;
""",
    expected_output="Ada Lovelace\nnot an admin\n",
)

USER_MODEL_ACCESSORS = Example(
    id="user-model-accessors",
    title="Accessors and mutators",
    language="php",
    description=(
        "A mutator normalises the e-mail address on the way in; an accessor builds the "
        "display name on the way out."
    ),
    code="""<?php
class User
{
    private array $attributes = [];

    public function __set(string $key, mixed $value): void
    {
        $mutator = 'set' . ucfirst($key) . 'Attribute';
        if (method_exists($this, $mutator)) {
            $value = $this->$mutator($value);
        }
        $this->attributes[$key] = $value;
    }

    public function __get(string $key): mixed
    {
        $accessor = 'get' . str_replace('_', '', ucwords($key, '_')) . 'Attribute';
        if (method_exists($this, $accessor)) {
            return $this->$accessor();
        }
        return $this->attributes[$key] ?? null;
    }

    protected function setEmailAttribute(string $email): string
    {
        return strtolower(trim($email));
    }

    protected function getDisplayNameAttribute(): string
    {
        return "{$this->attributes['name']} <{$this->attributes['email']}>";
    }
}

$user = new User();
$user->name = 'Grace Hopper';
$user->email = '  Grace.Hopper@Example.COM ';

echo $user->email . PHP_EOL;
echo $user->display_name . PHP_EOL;
""",
    expected_output="grace.hopper@example.com\nGrace Hopper <grace.hopper@example.com>\n",
)

USER_MODEL_PYTHON = Example(
    id="user-model-python",
    title="The same User model in Python",
    language="python",
    description="A dataclass with roles, and a check that reads like the PHP version.",
    code="""from dataclasses import dataclass, field


@dataclass
class User:
    name: str
    email: str
    roles: list[str] = field(default_factory=list)

    def has_role(self, role: str) -> bool:
        return role in self.roles


user = User("Katherine Johnson", "katherine@example.com", roles=["editor"])
print(user.name)
print("admin" if user.has_role("admin") else "no admin role")
""",
    expected_output="Katherine Johnson\nno admin role\n",
)

PYTHON_VALIDATION = Example(
    id="python-user-validation",
    title="Validating input before it reaches the model",
    language="python",
    description="Reject bad e-mail addresses with a clear message instead of storing them.",
    code="""import re

EMAIL = re.compile(r"^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$", re.IGNORECASE)


def validate(email: str) -> str:
    if not EMAIL.match(email):
        raise ValueError(f"not an e-mail address: {email!r}")
    return email.lower()


for candidate in ["ada@example.com", "not-an-address"]:
    try:
        print("ok:", validate(candidate))
    except ValueError as error:
        print("rejected:", error)
""",
    expected_output="ok: ada@example.com\nrejected: not an e-mail address: 'not-an-address'\n",
)

PYTHON_STATS = Example(
    id="python-user-stats",
    title="Counting users by role",
    language="python",
    description="Group users with a Counter, as a dashboard would.",
    code="""from collections import Counter

users = [
    {"name": "Ada", "role": "admin"},
    {"name": "Grace", "role": "editor"},
    {"name": "Katherine", "role": "editor"},
]

for role, count in sorted(Counter(u["role"] for u in users).items()):
    print(f"{role}: {count}")
""",
    expected_output="admin: 1\neditor: 2\n",
)

PAGES: dict[str, Page] = {
    "/": Page(
        path="/",
        title="The User model, interactively",
        intro=(
            "Edit and run each example. Your edits are kept in this browser until you reset them."
        ),
        examples=(USER_MODEL_BASIC, USER_MODEL_ACCESSORS, USER_MODEL_PYTHON),
    ),
    "/python": Page(
        path="/python",
        title="Python examples",
        intro="The same ideas in Python: validation and simple statistics.",
        examples=(PYTHON_VALIDATION, PYTHON_STATS),
    ),
}
