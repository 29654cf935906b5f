using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Edgewise.Tokenization.Templates;

/// <summary>Counts the work one render does and stops it at the caps in <see cref="ChatTemplateLimits"/>.</summary>
internal sealed class Budget
{
    private const int TimeCheckMask = 255;
    private readonly long _maxSteps;
    private readonly int _maxChars;
    private readonly int _maxDepth;
    private readonly long _deadline;
    private long _steps;
    private int _depth;

    public Budget(ChatTemplateLimits limits)
    {
        _maxSteps = limits.MaxSteps;
        _maxChars = limits.MaxOutputChars;
        _maxDepth = limits.MaxDepth;
        var ticks = (long)(limits.MaxDuration.TotalSeconds * Stopwatch.Frequency);
        _deadline = Stopwatch.GetTimestamp() + Math.Max(ticks, 1);
    }

    public int MaxChars => _maxChars;

    /// <summary>One node evaluation.</summary>
    public void Step()
    {
        if (++_steps > _maxSteps)
        {
            throw StepCapExceeded();
        }

        if ((_steps & TimeCheckMask) == 0)
        {
            CheckTime();
        }
    }

    /// <summary>Work proportional to <paramref name="units"/> (list elements produced, characters copied).</summary>
    public void Charge(long units)
    {
        _steps += Math.Max(units, 0);
        if (_steps > _maxSteps)
        {
            throw StepCapExceeded();
        }

        CheckTime();
    }

    /// <summary>Rejects a string (output or intermediate) longer than the output cap.</summary>
    public void CheckLength(long length)
    {
        if (length > _maxChars)
        {
            throw new TemplateException(TemplateErrorCodes.OutputCap, "The template output exceeded the output size cap.");
        }
    }

    public void Enter()
    {
        if (++_depth > _maxDepth || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw new TemplateException(TemplateErrorCodes.DepthCap, "The template nests deeper than the depth cap.");
        }
    }

    public void Exit() => _depth--;

    private void CheckTime()
    {
        if (Stopwatch.GetTimestamp() > _deadline)
        {
            throw new TemplateException(TemplateErrorCodes.TimeCap, "The template ran longer than the time cap.");
        }
    }

    private static TemplateException StepCapExceeded() =>
        new(TemplateErrorCodes.StepCap, "The template exceeded the step cap.");
}
