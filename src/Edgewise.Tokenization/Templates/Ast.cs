namespace Edgewise.Tokenization.Templates;

/// <summary>A node of a parsed template. Statements and expressions share the base, as in the reference.</summary>
internal abstract class Node;

internal sealed class TemplateBody(List<Node> body) : Node
{
    public List<Node> Body { get; } = body;
}

internal sealed class IfNode(Node test, List<Node> body, List<Node> alternate) : Node
{
    public Node Test { get; } = test;

    public List<Node> Body { get; } = body;

    public List<Node> Alternate { get; } = alternate;
}

internal sealed class ForNode(Node loopVariable, Node iterable, List<Node> body, List<Node> elseBody) : Node
{
    public Node LoopVariable { get; } = loopVariable;

    public Node Iterable { get; } = iterable;

    public List<Node> Body { get; } = body;

    public List<Node> ElseBody { get; } = elseBody;
}

internal sealed class SetNode(Node target, Node? value, List<Node> body) : Node
{
    public Node Target { get; } = target;

    public Node? Value { get; } = value;

    public List<Node> Body { get; } = body;
}

internal sealed class MacroNode(string name, List<Node> parameters, List<Node> body) : Node
{
    public string Name { get; } = name;

    public List<Node> Parameters { get; } = parameters;

    public List<Node> Body { get; } = body;
}

internal sealed class BreakNode : Node;

internal sealed class ContinueNode : Node;

internal sealed class IntegerLiteral(double value) : Node
{
    public double Value { get; } = value;
}

internal sealed class FloatLiteral(double value) : Node
{
    public double Value { get; } = value;
}

internal sealed class StringLiteral(string value) : Node
{
    public string Value { get; } = value;
}

internal sealed class ArrayLiteral(List<Node> items) : Node
{
    public List<Node> Items { get; } = items;
}

internal sealed class TupleLiteral(List<Node> items) : Node
{
    public List<Node> Items { get; } = items;
}

internal sealed class ObjectLiteral(List<KeyValuePair<Node, Node>> entries) : Node
{
    public List<KeyValuePair<Node, Node>> Entries { get; } = entries;
}

internal sealed class Identifier(string name) : Node
{
    public string Name { get; } = name;
}

internal sealed class MemberNode(Node target, Node property, bool computed) : Node
{
    public Node Target { get; } = target;

    public Node Property { get; } = property;

    public bool Computed { get; } = computed;
}

internal sealed class SliceNode(Node? start, Node? stop, Node? step) : Node
{
    public Node? Start { get; } = start;

    public Node? Stop { get; } = stop;

    public Node? Step { get; } = step;
}

internal sealed class CallNode(Node callee, List<Node> arguments) : Node
{
    public Node Callee { get; } = callee;

    public List<Node> Arguments { get; } = arguments;
}

internal sealed class KeywordArgument(string name, Node value) : Node
{
    public string Name { get; } = name;

    public Node Value { get; } = value;
}

internal sealed class SpreadNode(Node argument, bool keywords) : Node
{
    public Node Argument { get; } = argument;

    /// <summary>True for <c>**mapping</c>, false for <c>*list</c>.</summary>
    public bool Keywords { get; } = keywords;
}

internal enum UnaryOperator
{
    Not,
    Negate,
    Plus,
}

internal sealed class UnaryNode(UnaryOperator op, Node argument) : Node
{
    public UnaryOperator Operator { get; } = op;

    public Node Argument { get; } = argument;
}

internal enum BinaryOperator
{
    And,
    Or,
    Equal,
    NotEqual,
    Less,
    Greater,
    LessOrEqual,
    GreaterOrEqual,
    In,
    NotIn,
    Add,
    Subtract,
    Concat,
    Multiply,
    Divide,
    FloorDivide,
    Modulo,
    Power,
}

internal sealed class BinaryNode(BinaryOperator op, Node left, Node right) : Node
{
    public BinaryOperator Operator { get; } = op;

    public Node Left { get; } = left;

    public Node Right { get; } = right;
}

/// <summary><c>operand | name</c> or <c>operand | name(args)</c>.</summary>
internal sealed class FilterNode(Node operand, string name, List<Node>? arguments) : Node
{
    public Node Operand { get; } = operand;

    public string Name { get; } = name;

    /// <summary>Null when the filter was written without parentheses.</summary>
    public List<Node>? Arguments { get; } = arguments;
}

internal sealed class TestNode(Node operand, bool negate, string name) : Node
{
    public Node Operand { get; } = operand;

    public bool Negate { get; } = negate;

    public string Name { get; } = name;
}

/// <summary><c>value if test</c> without else: undefined when the test fails (also the <c>for ... if</c> filter).</summary>
internal sealed class SelectNode(Node value, Node test) : Node
{
    public Node Value { get; } = value;

    public Node Test { get; } = test;
}

internal sealed class TernaryNode(Node condition, Node whenTrue, Node whenFalse) : Node
{
    public Node Condition { get; } = condition;

    public Node WhenTrue { get; } = whenTrue;

    public Node WhenFalse { get; } = whenFalse;
}
