namespace Edgewise.Inference;

/// <summary>
/// One generated token with its natural-log probability under the raw model distribution (log-softmax of the
/// logits, before any sampler) and, when asked for, the most likely alternatives at that step.
/// </summary>
/// <param name="Token">The token's text (its bytes decoded as UTF-8; a partial character decodes to U+FFFD).</param>
/// <param name="Logprob">ln p(token), at most 0.</param>
/// <param name="Bytes">The token's bytes.</param>
/// <param name="TopLogprobs">The highest-probability tokens at this step, most likely first (empty unless requested).</param>
public sealed record TokenLogprob(string Token, double Logprob, IReadOnlyList<byte> Bytes, IReadOnlyList<TokenLogprobAlternative> TopLogprobs);

/// <summary>One of the most likely tokens at a step, with its natural-log probability under the raw model distribution.</summary>
/// <param name="Token">The token's text (its bytes decoded as UTF-8).</param>
/// <param name="Logprob">ln p(token), at most 0.</param>
/// <param name="Bytes">The token's bytes.</param>
public sealed record TokenLogprobAlternative(string Token, double Logprob, IReadOnlyList<byte> Bytes);
