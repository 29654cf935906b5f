namespace Edgewise.Tokenization.Templates;

/// <summary>Unary and binary operators with the reference's typing rules (JavaScript arithmetic underneath).</summary>
internal static class Operators
{
    public static Value Unary(UnaryOperator op, Value argument)
    {
        if (op == UnaryOperator.Not)
        {
            return Value.FromBool(!argument.IsTruthy());
        }

        var sign = op == UnaryOperator.Negate ? -1 : 1;
        return argument.Kind switch
        {
            ValueKind.Float => Value.Float(sign * argument.Number),
            ValueKind.Integer => Value.Int(sign * argument.Number),
            ValueKind.Boolean => Value.Int(sign * (argument.Bool ? 1 : 0)),
            _ => throw Evaluator.Runtime("Unary sign applied to a non-number."),
        };
    }

    public static Value Binary(BinaryOperator op, Value left, Value right, Budget budget)
    {
        switch (op)
        {
            case BinaryOperator.Equal:
                return Value.FromBool(Value.LooseEquals(left, right));
            case BinaryOperator.NotEqual:
                return Value.FromBool(!Value.LooseEquals(left, right));
        }

        if (left.Kind == ValueKind.Undefined || right.Kind == ValueKind.Undefined)
        {
            if (right.Kind == ValueKind.Undefined && op is BinaryOperator.In or BinaryOperator.NotIn)
            {
                return Value.FromBool(op == BinaryOperator.NotIn);
            }

            throw Evaluator.Runtime("Cannot perform this operation on undefined values.");
        }

        if (left.Kind == ValueKind.Null || right.Kind == ValueKind.Null)
        {
            throw Evaluator.Runtime("Cannot perform this operation on null values.");
        }

        if (op == BinaryOperator.Concat)
        {
            return Concat(left, right, budget);
        }

        if (op == BinaryOperator.Power && IsNumericLike(left) && IsNumericLike(right))
        {
            return Power(left, right);
        }

        if (left.IsNumber && right.IsNumber)
        {
            if (Arithmetic(op, left, right) is { } number)
            {
                return number;
            }
        }
        else if (left.IsList && right.IsList)
        {
            if (op == BinaryOperator.Add)
            {
                budget.Charge(left.Items.Count + right.Items.Count);
                return Value.List([.. left.Items, .. right.Items]);
            }
        }
        else if (right.IsList && op is BinaryOperator.In or BinaryOperator.NotIn)
        {
            budget.Charge(right.Items.Count);
            var found = right.Items.Exists(item => Value.StrictEquals(item, left));
            return Value.FromBool(found == (op == BinaryOperator.In));
        }

        if ((left.Kind == ValueKind.String || right.Kind == ValueKind.String) && op == BinaryOperator.Add)
        {
            return Concat(left, right, budget);
        }

        if (left.Kind == ValueKind.String && right.Kind == ValueKind.String && op is BinaryOperator.In or BinaryOperator.NotIn)
        {
            var contains = right.Text.Contains(left.Text, StringComparison.Ordinal);
            return Value.FromBool(contains == (op == BinaryOperator.In));
        }

        if (left.Kind == ValueKind.String && right.IsDict && op is BinaryOperator.In or BinaryOperator.NotIn)
        {
            return Value.FromBool(right.Map.ContainsKey(left.Text) == (op == BinaryOperator.In));
        }

        throw Evaluator.Runtime("Unsupported operand types for this operator.");
    }

    private static Value Concat(Value left, Value right, Budget budget)
    {
        var a = left.ToConcatString(budget);
        var b = right.ToConcatString(budget);
        budget.CheckLength((long)a.Length + b.Length);
        budget.Charge((a.Length + b.Length) >> 8);
        return Value.Str(a + b);
    }

    private static bool IsNumericLike(Value value) => value.IsNumber || value.Kind == ValueKind.Boolean;

    private static double Numeric(Value value) => value.Kind == ValueKind.Boolean ? (value.Bool ? 1 : 0) : value.Number;

    private static Value Power(Value left, Value right)
    {
        var a = Numeric(left);
        var b = Numeric(right);
        if (a == 0 && b < 0)
        {
            throw Evaluator.Runtime("0.0 cannot be raised to a negative power.");
        }

        var result = Math.Pow(a, b);
        if (!double.IsFinite(result))
        {
            throw Evaluator.Runtime("Exponentiation result is not a finite real number.");
        }

        return left.Kind == ValueKind.Float || right.Kind == ValueKind.Float || b < 0 ? Value.Float(result) : Value.Int(result);
    }

    private static Value? Arithmetic(BinaryOperator op, Value left, Value right)
    {
        var a = left.Number;
        var b = right.Number;
        var isFloat = left.Kind == ValueKind.Float || right.Kind == ValueKind.Float;
        Value Number(double value) => isFloat ? Value.Float(value) : Value.Int(value);
        return op switch
        {
            BinaryOperator.Add => Number(a + b),
            BinaryOperator.Subtract => Number(a - b),
            BinaryOperator.Multiply => Number(a * b),
            BinaryOperator.Divide => Value.Float(a / b),
            BinaryOperator.FloorDivide => Number(Math.Floor(a / b)),
            BinaryOperator.Modulo => Number(a % b),
            BinaryOperator.Less => Value.FromBool(a < b),
            BinaryOperator.Greater => Value.FromBool(a > b),
            BinaryOperator.GreaterOrEqual => Value.FromBool(a >= b),
            BinaryOperator.LessOrEqual => Value.FromBool(a <= b),
            _ => null,
        };
    }

    /// <summary>Ordering used by <c>sort</c> and <c>dictsort</c>: numbers (and booleans) numerically, strings by code unit.</summary>
    public static int Compare(Value a, Value b, bool caseSensitive)
    {
        if (a.Kind == ValueKind.Null || b.Kind == ValueKind.Null || a.Kind == ValueKind.Undefined || b.Kind == ValueKind.Undefined)
        {
            if (a.Kind == b.Kind)
            {
                return 0;
            }

            throw Evaluator.Runtime("Cannot compare null or undefined with another value.");
        }

        if (IsNumericLike(a) && IsNumericLike(b))
        {
            var x = Numeric(a);
            var y = Numeric(b);
            return x < y ? -1 : x > y ? 1 : 0;
        }

        if (a.Kind != ValueKind.String || b.Kind != ValueKind.String)
        {
            throw Evaluator.Runtime("Cannot compare these values.");
        }

        var s = caseSensitive ? a.Text : a.Text.ToLowerInvariant();
        var t = caseSensitive ? b.Text : b.Text.ToLowerInvariant();
        return Math.Sign(string.CompareOrdinal(s, t));
    }

    /// <summary>A stable merge sort (the reference sorts stably); comparison errors propagate unchanged.</summary>
    public static List<Value> StableSort(List<Value> items, Comparison<Value> comparison, Budget budget)
    {
        budget.Charge(items.Count);
        var result = new List<Value>(items);
        var buffer = new Value[result.Count];
        for (var width = 1; width < result.Count; width *= 2)
        {
            for (var lo = 0; lo < result.Count - width; lo += 2 * width)
            {
                var mid = lo + width;
                var hi = Math.Min(lo + (2 * width), result.Count);
                int i = lo, j = mid, k = lo;
                while (i < mid && j < hi)
                {
                    budget.Step();
                    buffer[k++] = comparison(result[j], result[i]) < 0 ? result[j++] : result[i++];
                }

                while (i < mid)
                {
                    buffer[k++] = result[i++];
                }

                while (j < hi)
                {
                    buffer[k++] = result[j++];
                }

                for (k = lo; k < hi; k++)
                {
                    result[k] = buffer[k];
                }
            }
        }

        return result;
    }
}
