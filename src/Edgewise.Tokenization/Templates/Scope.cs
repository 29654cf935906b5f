namespace Edgewise.Tokenization.Templates;

/// <summary>A variable frame; lookups walk to the parent, assignments stay local (Jinja scoping).</summary>
internal sealed class Scope(Scope? parent)
{
    private readonly Dictionary<string, Value> _variables = new(StringComparer.Ordinal);

    public Value Lookup(string name)
    {
        for (var scope = this; scope is not null; scope = scope.Parent)
        {
            if (scope._variables.TryGetValue(name, out var value))
            {
                return value;
            }
        }

        return Value.Undefined;
    }

    public bool HasLocal(string name) => _variables.ContainsKey(name);

    public void Set(string name, Value value) => _variables[name] = value;

    private Scope? Parent { get; } = parent;
}
