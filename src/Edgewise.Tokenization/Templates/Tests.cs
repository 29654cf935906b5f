namespace Edgewise.Tokenization.Templates;

/// <summary>The <c>is</c> tests the reference provides (also used by <c>selectattr</c>/<c>rejectattr</c>).</summary>
internal static class Tests
{
    public static bool Exists(string name) => name is "boolean" or "callable" or "odd" or "even" or "false" or "true"
        or "none" or "string" or "number" or "integer" or "iterable" or "mapping" or "sequence" or "lower" or "upper"
        or "defined" or "undefined" or "equalto" or "eq";

    public static bool Run(string name, Value operand) => Run(name, operand, Value.Undefined);

    public static bool Run(string name, Value operand, Value argument) => name switch
    {
        "boolean" => operand.Kind == ValueKind.Boolean,
        "callable" => operand.Kind == ValueKind.Function,
        "odd" => Integer(operand) % 2 != 0,
        "even" => Integer(operand) % 2 == 0,
        "false" => operand.Kind == ValueKind.Boolean && !operand.Bool,
        "true" => operand.Kind == ValueKind.Boolean && operand.Bool,
        "none" => operand.Kind == ValueKind.Null,
        "string" => operand.Kind == ValueKind.String,
        "number" => operand.IsNumber,
        "integer" => operand.Kind == ValueKind.Integer,
        "iterable" => operand.Kind is ValueKind.Array or ValueKind.String,
        "mapping" => operand.IsDict,
        "sequence" => operand.IsList || operand.IsDict || operand.Kind == ValueKind.String,
        "lower" => operand.Kind == ValueKind.String && operand.Text == operand.Text.ToLowerInvariant(),
        "upper" => operand.Kind == ValueKind.String && operand.Text == operand.Text.ToUpperInvariant(),
        "defined" => operand.Kind != ValueKind.Undefined,
        "undefined" => operand.Kind == ValueKind.Undefined,
        "equalto" or "eq" => Value.StrictEquals(operand, argument),
        _ => throw new TemplateException(TemplateErrorCodes.Unsupported, "The template uses a test this renderer does not support."),
    };

    private static double Integer(Value operand) =>
        operand.Kind == ValueKind.Integer ? operand.Number : throw Evaluator.Runtime("odd/even need an integer.");
}
