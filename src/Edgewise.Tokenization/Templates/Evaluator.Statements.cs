using System.Text;

namespace Edgewise.Tokenization.Templates;

/// <summary>Loops, assignments and macros.</summary>
internal sealed partial class Evaluator
{
    private Value EvalFor(ForNode node, Scope scope)
    {
        var loopScope = new Scope(scope);
        Node? filter = null;
        Value iterable;
        if (node.Iterable is SelectNode select)
        {
            iterable = Eval(select.Value, loopScope);
            filter = select.Test;
        }
        else
        {
            iterable = Eval(node.Iterable, loopScope);
        }

        List<Value> source;
        if (iterable.IsList)
        {
            source = iterable.Items;
        }
        else if (iterable.IsDict)
        {
            source = new List<Value>(iterable.Map.Count);
            foreach (var key in iterable.Map.Keys)
            {
                source.Add(Value.Str(key));
            }
        }
        else
        {
            throw Runtime("Expected a list or mapping in the for loop.");
        }

        var items = new List<Value>(source.Count);
        foreach (var current in source)
        {
            Budget.Step();
            if (filter is not null)
            {
                var testScope = new Scope(loopScope);
                BindLoopVariable(node.LoopVariable, current, testScope);
                if (!Eval(filter, testScope).IsTruthy())
                {
                    continue;
                }
            }

            items.Add(current);
        }

        var builder = new StringBuilder();
        var noIteration = true;
        for (var i = 0; i < items.Count; i++)
        {
            loopScope.Set("loop", LoopInfo(items, i));
            BindLoopVariable(node.LoopVariable, items[i], loopScope);
            var text = EvalBlock(node.Body, loopScope);
            if (_control == Control.Continue)
            {
                _control = Control.None;
                continue;
            }

            if (_control == Control.Break)
            {
                _control = Control.None;
                break;
            }

            builder.Append(text);
            Budget.CheckLength(builder.Length);
            noIteration = false;
        }

        if (noIteration)
        {
            builder.Append(EvalBlock(node.ElseBody, loopScope));
        }

        return Value.Str(builder.ToString());
    }

    private static Value LoopInfo(List<Value> items, int i)
    {
        var count = items.Count;
        return Value.Dict(new OrderedDictionary<string, Value>(StringComparer.Ordinal)
        {
            ["index"] = Value.Int(i + 1),
            ["index0"] = Value.Int(i),
            ["revindex"] = Value.Int(count - i),
            ["revindex0"] = Value.Int(count - i - 1),
            ["first"] = Value.FromBool(i == 0),
            ["last"] = Value.FromBool(i == count - 1),
            ["length"] = Value.Int(count),
            ["previtem"] = i > 0 ? items[i - 1] : Value.Undefined,
            ["nextitem"] = i < count - 1 ? items[i + 1] : Value.Undefined,
        });
    }

    private static void BindLoopVariable(Node target, Value current, Scope scope)
    {
        if (target is Identifier id)
        {
            scope.Set(id.Name, current);
            return;
        }

        var tuple = (TupleLiteral)target;
        if (current.Kind != ValueKind.Array)
        {
            throw Runtime("Cannot unpack a non-list loop item.");
        }

        if (tuple.Items.Count != current.Items.Count)
        {
            throw Runtime("Wrong number of items to unpack in the for loop.");
        }

        for (var j = 0; j < tuple.Items.Count; j++)
        {
            if (tuple.Items[j] is not Identifier name)
            {
                throw Runtime("Loop variables must be identifiers.");
            }

            scope.Set(name.Name, current.Items[j]);
        }
    }

    private Value EvalSet(SetNode node, Scope scope)
    {
        var value = node.Value is not null ? Eval(node.Value, scope) : Value.Str(EvalBlock(node.Body, scope));
        switch (node.Target)
        {
            case Identifier id:
                scope.Set(id.Name, value);
                break;
            case TupleLiteral tuple:
                if (!value.IsList)
                {
                    throw Runtime("Cannot unpack a non-list value in set.");
                }

                if (tuple.Items.Count != value.Items.Count)
                {
                    throw Runtime("Wrong number of items to unpack in set.");
                }

                for (var i = 0; i < tuple.Items.Count; i++)
                {
                    if (tuple.Items[i] is not Identifier name)
                    {
                        throw Runtime("Cannot unpack to a non-identifier in set.");
                    }

                    scope.Set(name.Name, value.Items[i]);
                }

                break;
            case MemberNode member:
                var target = Eval(member.Target, scope);
                if (target.Kind != ValueKind.Namespace)
                {
                    throw Runtime("Attributes can only be assigned on a namespace.");
                }

                if (member.Property is not Identifier property)
                {
                    throw Runtime("Cannot assign to a member with a non-identifier property.");
                }

                target.Map[property.Name] = value;
                break;
            default:
                throw Runtime("Invalid assignment target.");
        }

        return Value.Null;
    }

    private Value DefineMacro(MacroNode node, Scope scope)
    {
        scope.Set(node.Name, Value.Callable((arguments, callerScope) =>
        {
            var macroScope = new Scope(callerScope);
            BindMacroArguments(node.Parameters, arguments, macroScope);
            var text = EvalBlock(node.Body, macroScope);
            if (_control != Control.None)
            {
                _control = Control.None;
                throw Runtime("'break' or 'continue' outside a loop.");
            }

            return Value.Str(text);
        }));
        return Value.Null;
    }

    /// <summary>
    /// Binds every parameter first (missing ones undefined), then evaluates defaults in the macro scope;
    /// extra keyword arguments land in <c>kwargs</c>, extra positional ones in <c>varargs</c>.
    /// </summary>
    private void BindMacroArguments(List<Node> parameters, CallArguments arguments, Scope scope)
    {
        var keywords = arguments.Keywords is null
            ? new OrderedDictionary<string, Value>(StringComparer.Ordinal)
            : new OrderedDictionary<string, Value>(arguments.Keywords, StringComparer.Ordinal);
        var pending = new List<(string Name, Node Default)>();
        for (var i = 0; i < parameters.Count; i++)
        {
            var (name, defaultValue) = parameters[i] switch
            {
                Identifier id => (id.Name, (Node?)null),
                KeywordArgument kw => (kw.Name, kw.Value),
                _ => throw Runtime("Invalid macro parameter."),
            };
            Value? value = i < arguments.Positional.Count ? arguments.Positional[i] : null;
            if (value is null && keywords.Remove(name, out var keywordValue))
            {
                value = keywordValue;
            }

            if (value is null && defaultValue is not null)
            {
                pending.Add((name, defaultValue));
            }

            scope.Set(name, value ?? Value.Undefined);
        }

        scope.Set("kwargs", Value.Dict(keywords));
        var extra = new List<Value>();
        for (var i = parameters.Count; i < arguments.Positional.Count; i++)
        {
            extra.Add(arguments.Positional[i]);
        }

        scope.Set("varargs", Value.List(extra));
        foreach (var (name, defaultValue) in pending)
        {
            scope.Set(name, Eval(defaultValue, scope));
        }
    }
}
