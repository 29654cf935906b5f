using System.Globalization;

namespace Edgewise.Tokenization.Templates;

/// <summary>
/// Builds the syntax tree from tokens with the reference's grammar and precedence (lowest first):
/// inline if, or, and, not, comparisons and <c>in</c>, + - ~, * / // %, **, <c>is</c> tests, | filters,
/// unary signs, calls and member access. <c>call</c> and <c>filter</c> blocks are rejected as unsupported.
/// </summary>
internal sealed partial class Parser
{
    private readonly List<Token> _tokens;
    private readonly int _maxDepth;
    private int _current;
    private int _depth;

    private Parser(List<Token> tokens, int maxDepth)
    {
        _tokens = tokens;
        _maxDepth = maxDepth;
    }

    public static TemplateBody Parse(List<Token> tokens, int maxDepth)
    {
        var parser = new Parser(tokens, maxDepth);
        var body = new List<Node>();
        while (parser._current < tokens.Count)
        {
            parser.ParseAny(body);
        }

        return new TemplateBody(body);
    }

    private Token Peek(int ahead = 0) =>
        _current + ahead < _tokens.Count ? _tokens[_current + ahead] : throw Error("Unexpected end of template.");

    private bool Is(LexemeKind type) => _current < _tokens.Count && _tokens[_current].Type == type;

    private bool IsIdentifier(string name, int ahead = 0) =>
        _current + ahead < _tokens.Count
        && _tokens[_current + ahead].Type == LexemeKind.Identifier
        && _tokens[_current + ahead].Value == name;

    private bool IsStatement(params string[] names) =>
        Is(LexemeKind.OpenStatement)
        && _current + 1 < _tokens.Count
        && _tokens[_current + 1].Type == LexemeKind.Identifier
        && Array.IndexOf(names, _tokens[_current + 1].Value) >= 0;

    private Token Expect(LexemeKind type, string what)
    {
        var token = Peek();
        if (token.Type != type)
        {
            throw Error($"Expected {what}.");
        }

        _current++;
        return token;
    }

    private void ExpectIdentifier(string name)
    {
        if (!IsIdentifier(name))
        {
            throw Error($"Expected '{name}'.");
        }

        _current++;
    }

    private void Enter()
    {
        if (++_depth > _maxDepth || !System.Runtime.CompilerServices.RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw new TemplateException(TemplateErrorCodes.DepthCap, "The template nests deeper than the depth cap.");
        }
    }

    private void ParseAny(List<Node> into)
    {
        var token = Peek();
        switch (token.Type)
        {
            case LexemeKind.Comment:
                _current++;
                return;
            case LexemeKind.Text:
                _current++;
                into.Add(new StringLiteral(token.Value));
                return;
            case LexemeKind.OpenStatement:
                Enter();
                into.Add(ParseStatement());
                _depth--;
                return;
            case LexemeKind.OpenExpression:
                _current++;
                into.Add(ParseExpression());
                Expect(LexemeKind.CloseExpression, "'}}'");
                return;
            default:
                throw Error("Unexpected token.");
        }
    }

    private List<Node> ParseUntil(params string[] names)
    {
        var body = new List<Node>();
        while (!IsStatement(names))
        {
            ParseAny(body);
        }

        return body;
    }

    private void ExpectEnd(string name)
    {
        Expect(LexemeKind.OpenStatement, "'{%'");
        ExpectIdentifier(name);
        Expect(LexemeKind.CloseStatement, "'%}'");
    }

    private Node ParseStatement()
    {
        Expect(LexemeKind.OpenStatement, "'{%'");
        var name = Peek();
        if (name.Type != LexemeKind.Identifier)
        {
            throw Error("Expected a statement name.");
        }

        _current++;
        switch (name.Value)
        {
            case "set":
                return ParseSet();
            case "if":
                var ifNode = ParseIf();
                ExpectEnd("endif");
                return ifNode;
            case "for":
                var forNode = ParseFor();
                ExpectEnd("endfor");
                return forNode;
            case "macro":
                var macro = ParseMacro();
                ExpectEnd("endmacro");
                return macro;
            case "break":
                Expect(LexemeKind.CloseStatement, "'%}'");
                return new BreakNode();
            case "continue":
                Expect(LexemeKind.CloseStatement, "'%}'");
                return new ContinueNode();
            case "call" or "filter" or "include" or "import" or "from" or "extends" or "block" or "with" or "raw" or "do":
                throw new TemplateException(TemplateErrorCodes.Unsupported, "The template uses a statement this renderer does not support.");
            default:
                throw Error("Unknown statement.");
        }
    }

    private SetNode ParseSet()
    {
        var target = ParseExpressionSequence(primary: false);
        if (Is(LexemeKind.Equals))
        {
            _current++;
            var value = ParseExpressionSequence(primary: false);
            Expect(LexemeKind.CloseStatement, "'%}'");
            return new SetNode(target, value, []);
        }

        Expect(LexemeKind.CloseStatement, "'%}'");
        var body = ParseUntil("endset");
        ExpectEnd("endset");
        return new SetNode(target, null, body);
    }

    private IfNode ParseIf()
    {
        var test = ParseExpression();
        Expect(LexemeKind.CloseStatement, "'%}'");
        var body = ParseUntil("elif", "else", "endif");
        var alternate = new List<Node>();
        if (IsStatement("elif"))
        {
            _current += 2;
            Enter();
            alternate.Add(ParseIf());
            _depth--;
        }
        else if (IsStatement("else"))
        {
            _current += 2;
            Expect(LexemeKind.CloseStatement, "'%}'");
            alternate = ParseUntil("endif");
        }

        return new IfNode(test, body, alternate);
    }

    private ForNode ParseFor()
    {
        var loopVariable = ParseExpressionSequence(primary: true);
        if (loopVariable is not (Identifier or TupleLiteral))
        {
            throw Error("Expected an identifier or tuple as the loop variable.");
        }

        if (!IsIdentifier("in"))
        {
            throw Error("Expected 'in' after the loop variable.");
        }

        _current++;
        var iterable = ParseExpression();
        Expect(LexemeKind.CloseStatement, "'%}'");
        var body = ParseUntil("endfor", "else");
        var elseBody = new List<Node>();
        if (IsStatement("else"))
        {
            _current += 2;
            Expect(LexemeKind.CloseStatement, "'%}'");
            elseBody = ParseUntil("endfor");
        }

        return new ForNode(loopVariable, iterable, body, elseBody);
    }

    private MacroNode ParseMacro()
    {
        if (ParsePrimary() is not Identifier name)
        {
            throw Error("Expected a macro name.");
        }

        var parameters = ParseArguments(declaration: true);
        Expect(LexemeKind.CloseStatement, "'%}'");
        return new MacroNode(name.Name, parameters, ParseUntil("endmacro"));
    }

    private Node ParseExpressionSequence(bool primary)
    {
        var first = primary ? ParsePrimary() : ParseExpression();
        if (!Is(LexemeKind.Comma))
        {
            return first;
        }

        var items = new List<Node> { first };
        while (Is(LexemeKind.Comma))
        {
            _current++;
            items.Add(primary ? ParsePrimary() : ParseExpression());
        }

        return new TupleLiteral(items);
    }

    private Node ParseExpression()
    {
        Enter();
        var a = ParseOr();
        if (IsIdentifier("if"))
        {
            _current++;
            var test = ParseOr();
            if (IsIdentifier("else"))
            {
                _current++;
                a = new TernaryNode(test, a, ParseExpression());
            }
            else
            {
                a = new SelectNode(a, test);
            }
        }

        _depth--;
        return a;
    }

    private Node ParseOr()
    {
        var left = ParseAnd();
        while (IsIdentifier("or"))
        {
            _current++;
            left = new BinaryNode(BinaryOperator.Or, left, ParseAnd());
        }

        return left;
    }

    private Node ParseAnd()
    {
        var left = ParseNot();
        while (IsIdentifier("and"))
        {
            _current++;
            left = new BinaryNode(BinaryOperator.And, left, ParseNot());
        }

        return left;
    }

    private Node ParseNot()
    {
        if (!IsIdentifier("not"))
        {
            return ParseComparison();
        }

        _current++;
        Enter();
        var node = new UnaryNode(UnaryOperator.Not, ParseNot());
        _depth--;
        return node;
    }

    private Node ParseComparison()
    {
        var left = ParseAdditive();
        while (true)
        {
            BinaryOperator op;
            if (IsIdentifier("not") && IsIdentifier("in", 1))
            {
                _current += 2;
                op = BinaryOperator.NotIn;
            }
            else if (IsIdentifier("in"))
            {
                _current++;
                op = BinaryOperator.In;
            }
            else if (Is(LexemeKind.Comparison))
            {
                op = Peek().Value switch
                {
                    "==" => BinaryOperator.Equal,
                    "!=" => BinaryOperator.NotEqual,
                    "<" => BinaryOperator.Less,
                    ">" => BinaryOperator.Greater,
                    "<=" => BinaryOperator.LessOrEqual,
                    _ => BinaryOperator.GreaterOrEqual,
                };
                _current++;
            }
            else
            {
                return left;
            }

            left = new BinaryNode(op, left, ParseAdditive());
        }
    }

    private Node ParseAdditive()
    {
        var left = ParseMultiplicative();
        while (Is(LexemeKind.Additive))
        {
            var op = Peek().Value switch
            {
                "+" => BinaryOperator.Add,
                "-" => BinaryOperator.Subtract,
                _ => BinaryOperator.Concat,
            };
            _current++;
            left = new BinaryNode(op, left, ParseMultiplicative());
        }

        return left;
    }

    private Node ParseMultiplicative()
    {
        var left = ParsePower();
        while (Is(LexemeKind.Multiplicative))
        {
            var op = Peek().Value switch
            {
                "*" => BinaryOperator.Multiply,
                "/" => BinaryOperator.Divide,
                "//" => BinaryOperator.FloorDivide,
                _ => BinaryOperator.Modulo,
            };
            _current++;
            left = new BinaryNode(op, left, ParsePower());
        }

        return left;
    }

    private Node ParsePower()
    {
        var left = ParseTest();
        while (Is(LexemeKind.Power))
        {
            _current++;
            left = new BinaryNode(BinaryOperator.Power, left, ParseTest());
        }

        return left;
    }

    private Node ParseTest()
    {
        var operand = ParseFilter();
        while (IsIdentifier("is"))
        {
            _current++;
            var negate = IsIdentifier("not");
            if (negate)
            {
                _current++;
            }

            if (ParsePrimary() is not Identifier test)
            {
                throw Error("Expected a test name.");
            }

            operand = new TestNode(operand, negate, test.Name);
        }

        return operand;
    }

    private Node ParseFilter()
    {
        var operand = ParseUnarySign();
        while (Is(LexemeKind.Pipe))
        {
            _current++;
            if (ParsePrimary() is not Identifier filter)
            {
                throw Error("Expected a filter name.");
            }

            var arguments = Is(LexemeKind.OpenParen) ? ParseArguments(declaration: false) : null;
            operand = new FilterNode(operand, filter.Name, arguments);
        }

        return operand;
    }

    private Node ParseUnarySign()
    {
        var token = Peek();
        if (token.Type is LexemeKind.Unary or LexemeKind.Additive && token.Value is "-" or "+")
        {
            _current++;
            Enter();
            var node = new UnaryNode(token.Value == "-" ? UnaryOperator.Negate : UnaryOperator.Plus, ParseUnarySign());
            _depth--;
            return node;
        }

        var member = ParseMember(ParsePrimary());
        while (Is(LexemeKind.OpenParen))
        {
            member = ParseMember(new CallNode(member, ParseArguments(declaration: false)));
        }

        return member;
    }

    private TemplateException Error(string message)
    {
        var offset = _current < _tokens.Count ? _tokens[_current].Offset : -1;
        return new TemplateException(TemplateErrorCodes.Syntax, string.Create(CultureInfo.InvariantCulture, $"{message} (offset {offset})"));
    }
}
