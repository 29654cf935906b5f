using System.Globalization;

namespace Edgewise.Tokenization.Templates;

/// <summary>Member access, subscripts and slices, call arguments and literals.</summary>
internal sealed partial class Parser
{
    private Node ParseMember(Node target)
    {
        while (Is(LexemeKind.Dot) || Is(LexemeKind.OpenBracket))
        {
            var computed = Peek().Type == LexemeKind.OpenBracket;
            _current++;
            Node property;
            if (computed)
            {
                property = ParseSubscript();
                Expect(LexemeKind.CloseBracket, "']'");
            }
            else
            {
                property = ParsePrimary();
                if (property is not (Identifier or IntegerLiteral))
                {
                    throw Error("Expected an identifier or integer after '.'.");
                }
            }

            target = new MemberNode(target, property, computed);
        }

        return target;
    }

    private Node ParseSubscript()
    {
        var parts = new List<Node?>();
        var isSlice = false;
        while (!Is(LexemeKind.CloseBracket))
        {
            if (Is(LexemeKind.Colon))
            {
                parts.Add(null);
                _current++;
                isSlice = true;
                continue;
            }

            parts.Add(ParseExpression());
            if (Is(LexemeKind.Colon))
            {
                _current++;
                isSlice = true;
            }
        }

        if (parts.Count == 0)
        {
            throw Error("Expected an index or slice.");
        }

        if (!isSlice)
        {
            return parts[0]!;
        }

        if (parts.Count > 3)
        {
            throw Error("A slice takes at most three parts.");
        }

        return new SliceNode(parts[0], parts.Count > 1 ? parts[1] : null, parts.Count > 2 ? parts[2] : null);
    }

    private List<Node> ParseArguments(bool declaration)
    {
        Expect(LexemeKind.OpenParen, "'('");
        var arguments = new List<Node>();
        var sawKeyword = false;
        var sawSpread = false;
        var names = new HashSet<string>(StringComparer.Ordinal);
        while (!Is(LexemeKind.CloseParen))
        {
            var keywordSpread = Is(LexemeKind.Power);
            var spread = Is(LexemeKind.Multiplicative) && Peek().Value == "*";
            if (declaration && (keywordSpread || spread))
            {
                throw Error("Argument unpacking is not allowed in parameter declarations.");
            }

            if (keywordSpread)
            {
                _current++;
                arguments.Add(new SpreadNode(ParseExpression(), keywords: true));
                if (Is(LexemeKind.Comma))
                {
                    _current++;
                }

                if (!Is(LexemeKind.CloseParen))
                {
                    throw Error("'**' must be applied to the final argument.");
                }

                break;
            }

            Node argument;
            if (spread)
            {
                if (sawSpread)
                {
                    throw Error("Only one '*' argument unpacking is allowed.");
                }

                sawSpread = true;
                _current++;
                argument = new SpreadNode(ParseExpression(), keywords: false);
            }
            else
            {
                argument = ParseExpression();
                if (Is(LexemeKind.Equals))
                {
                    _current++;
                    if (argument is not Identifier key)
                    {
                        throw Error("Expected an identifier before '='.");
                    }

                    argument = new KeywordArgument(key.Name, ParseExpression());
                }

                if (declaration)
                {
                    var name = argument switch
                    {
                        Identifier id => id.Name,
                        KeywordArgument kw => kw.Name,
                        _ => throw Error("Expected an identifier for a parameter."),
                    };
                    if (!names.Add(name))
                    {
                        throw Error("Duplicate parameter name.");
                    }
                }

                if (argument is KeywordArgument)
                {
                    sawKeyword = true;
                }
                else if (sawKeyword || sawSpread)
                {
                    throw Error("Positional arguments must come first.");
                }
            }

            arguments.Add(argument);
            if (Is(LexemeKind.Comma))
            {
                _current++;
            }
        }

        Expect(LexemeKind.CloseParen, "')'");
        return arguments;
    }

    private Node ParsePrimary()
    {
        var token = Peek();
        _current++;
        switch (token.Type)
        {
            case LexemeKind.Number:
                var number = double.Parse(token.Value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
                return token.Value.Contains('.', StringComparison.Ordinal) ? new FloatLiteral(number) : new IntegerLiteral(number);
            case LexemeKind.String:
                var text = token.Value;
                while (Is(LexemeKind.String))
                {
                    text += Peek().Value;
                    _current++;
                }

                return new StringLiteral(text);
            case LexemeKind.Identifier:
                return new Identifier(token.Value);
            case LexemeKind.OpenParen:
                var inner = ParseExpressionSequence(primary: false);
                Expect(LexemeKind.CloseParen, "')'");
                return inner;
            case LexemeKind.OpenBracket:
                var items = new List<Node>();
                while (!Is(LexemeKind.CloseBracket))
                {
                    items.Add(ParseExpression());
                    if (Is(LexemeKind.Comma))
                    {
                        _current++;
                    }
                }

                _current++;
                return new ArrayLiteral(items);
            case LexemeKind.OpenBrace:
                var entries = new List<KeyValuePair<Node, Node>>();
                while (!Is(LexemeKind.CloseBrace))
                {
                    var key = ParseExpression();
                    Expect(LexemeKind.Colon, "':'");
                    entries.Add(new(key, ParseExpression()));
                    if (Is(LexemeKind.Comma))
                    {
                        _current++;
                    }
                }

                _current++;
                return new ObjectLiteral(entries);
            default:
                throw Error("Unexpected token.");
        }
    }
}
