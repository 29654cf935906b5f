using System.Threading.Channels;
using Edgewise.Inference.Runtime;
using Edgewise.Inference.Sampling;
using Edgewise.Tokenization;

namespace Edgewise.Inference.Generation;

/// <summary>A token chosen for a chat request, with its logprob when the request asked for them.</summary>
internal readonly record struct GeneratedToken(int Token, TokenLogprob? Logprob);

/// <summary>
/// A chat request's sequence in the <see cref="BatchScheduler"/>: samples with its own chain on the scheduler's
/// thread, in candidates shared by all the scheduler's sequences (they sample one after another on that thread), and
/// hands every chosen token to the request through a channel; ends after an end-of-generation token or
/// <c>maxTokens</c> tokens.
/// </summary>
internal sealed class ChatSequence : BatchSequence
{
    private readonly Channel<GeneratedToken> _output = Channel.CreateUnbounded<GeneratedToken>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly SamplerChain _sampler;
    private readonly TokenCandidates _candidates;
    private readonly LogprobCalculator? _logprobs;
    private readonly Tokenizer _tokenizer;
    private readonly int _maxTokens;
    private int _generated;

    public ChatSequence(int[] prompt, SamplerChain sampler, TokenCandidates candidates, LogprobCalculator? logprobs, Tokenizer tokenizer, int maxTokens)
        : base(prompt)
    {
        _sampler = sampler;
        _candidates = candidates;
        _logprobs = logprobs;
        _tokenizer = tokenizer;
        _maxTokens = maxTokens;
        sampler.AcceptPrompt(prompt);
    }

    /// <summary>The chosen tokens, in order; completes when the sequence ends (with its error, if any).</summary>
    public ChannelReader<GeneratedToken> Tokens => _output.Reader;

    public override int OnLogits(ReadOnlySpan<float> logits)
    {
        var token = _sampler.Sample(logits, _candidates);
        var logprob = _logprobs?.Compute(logits, token);
        _sampler.Accept(token);
        _generated++;
        _output.Writer.TryWrite(new GeneratedToken(token, logprob));
        return _tokenizer.IsEndOfGeneration(token) || _generated >= _maxTokens ? -1 : token;
    }

    protected override void OnCompleted(Exception? error) => _output.Writer.TryComplete(error);
}

/// <summary>A prompt evaluated only to fill the prefix cache: no token is generated.</summary>
internal sealed class PrefillSequence(int[] prompt) : BatchSequence(prompt)
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the prompt has been evaluated (or fails with why it was not).</summary>
    public Task Completion => _done.Task;

    public override int OnLogits(ReadOnlySpan<float> logits) => -1;

    protected override void OnCompleted(Exception? error)
    {
        if (error is null)
        {
            _done.TrySetResult();
        }
        else if (error is OperationCanceledException)
        {
            _done.TrySetCanceled();
        }
        else
        {
            _done.TrySetException(error);
        }
    }
}
