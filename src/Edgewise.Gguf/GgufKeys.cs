namespace Edgewise.Gguf;

/// <summary>Every GGUF metadata key Edgewise reads or writes, in one place.</summary>
public static class GgufKeys
{
    /// <summary><c>general.*</c> keys.</summary>
    public static class General
    {
        /// <summary>Architecture name, e.g. <c>qwen2</c>.</summary>
        public const string Architecture = "general.architecture";

        /// <summary>Model name.</summary>
        public const string Name = "general.name";

        /// <summary>Data alignment (UINT32).</summary>
        public const string Alignment = "general.alignment";

        /// <summary>Dominant file type (llama_ftype).</summary>
        public const string FileType = "general.file_type";

        /// <summary>Quantization format version.</summary>
        public const string QuantizationVersion = "general.quantization_version";
    }

    /// <summary><c>tokenizer.*</c> keys.</summary>
    public static class Tokenizer
    {
        /// <summary>Tokenizer model: <c>gpt2</c> (byte-level BPE) or <c>llama</c> (SentencePiece).</summary>
        public const string Model = "tokenizer.ggml.model";

        /// <summary>Pre-tokenizer name (BPE), e.g. <c>qwen2</c>, <c>llama-bpe</c>.</summary>
        public const string Pre = "tokenizer.ggml.pre";

        /// <summary>Token strings.</summary>
        public const string Tokens = "tokenizer.ggml.tokens";

        /// <summary>Token scores (SentencePiece).</summary>
        public const string Scores = "tokenizer.ggml.scores";

        /// <summary>Token types.</summary>
        public const string TokenType = "tokenizer.ggml.token_type";

        /// <summary>BPE merges, "a b".</summary>
        public const string Merges = "tokenizer.ggml.merges";

        /// <summary>Beginning-of-sequence id.</summary>
        public const string BosId = "tokenizer.ggml.bos_token_id";

        /// <summary>End-of-sequence id.</summary>
        public const string EosId = "tokenizer.ggml.eos_token_id";

        /// <summary>End-of-turn id.</summary>
        public const string EotId = "tokenizer.ggml.eot_token_id";

        /// <summary>End-of-message id.</summary>
        public const string EomId = "tokenizer.ggml.eom_token_id";

        /// <summary>Unknown-token id.</summary>
        public const string UnknownId = "tokenizer.ggml.unknown_token_id";

        /// <summary>Separator id.</summary>
        public const string SeparatorId = "tokenizer.ggml.seperator_token_id";

        /// <summary>Padding id.</summary>
        public const string PaddingId = "tokenizer.ggml.padding_token_id";

        /// <summary>Classification (CLS) id.</summary>
        public const string ClsId = "tokenizer.ggml.cls_token_id";

        /// <summary>Mask id (masked-language-model vocabularies).</summary>
        public const string MaskId = "tokenizer.ggml.mask_token_id";

        /// <summary>Fill-in-the-middle prefix id.</summary>
        public const string FimPrefixId = "tokenizer.ggml.fim_pre_token_id";

        /// <summary>Fill-in-the-middle suffix id.</summary>
        public const string FimSuffixId = "tokenizer.ggml.fim_suf_token_id";

        /// <summary>Fill-in-the-middle middle id.</summary>
        public const string FimMiddleId = "tokenizer.ggml.fim_mid_token_id";

        /// <summary>Fill-in-the-middle padding id (an end of generation).</summary>
        public const string FimPadId = "tokenizer.ggml.fim_pad_token_id";

        /// <summary>Fill-in-the-middle repository-name id (an end of generation).</summary>
        public const string FimRepoId = "tokenizer.ggml.fim_rep_token_id";

        /// <summary>Fill-in-the-middle file-separator id (an end of generation).</summary>
        public const string FimSeparatorId = "tokenizer.ggml.fim_sep_token_id";

        /// <summary>Older name of <see cref="FimPrefixId"/>; wins over it when both are present.</summary>
        public const string LegacyPrefixId = "tokenizer.ggml.prefix_token_id";

        /// <summary>Older name of <see cref="FimSuffixId"/>; wins over it when both are present.</summary>
        public const string LegacySuffixId = "tokenizer.ggml.suffix_token_id";

        /// <summary>Older name of <see cref="FimMiddleId"/>; wins over it when both are present.</summary>
        public const string LegacyMiddleId = "tokenizer.ggml.middle_token_id";

        /// <summary>Whether to add BOS.</summary>
        public const string AddBos = "tokenizer.ggml.add_bos_token";

        /// <summary>Whether to add EOS.</summary>
        public const string AddEos = "tokenizer.ggml.add_eos_token";

        /// <summary>Whether to add a separator token (BERT-style vocabularies).</summary>
        public const string AddSep = "tokenizer.ggml.add_sep_token";

        /// <summary>Whether to add a leading space (SentencePiece).</summary>
        public const string AddSpacePrefix = "tokenizer.ggml.add_space_prefix";

        /// <summary>Whether to collapse runs of spaces before tokenizing (Unigram / T5).</summary>
        public const string RemoveExtraWhitespaces = "tokenizer.ggml.remove_extra_whitespaces";

        /// <summary>SentencePiece normalization map, a byte array (Unigram / T5).</summary>
        public const string PrecompiledCharsmap = "tokenizer.ggml.precompiled_charsmap";

        /// <summary>Jinja chat template (prefix of named variants too).</summary>
        public const string ChatTemplate = "tokenizer.chat_template";
    }

    /// <summary>Architecture-scoped keys: <c>{arch}.{suffix}</c>.</summary>
    public static class Llm
    {
        /// <summary>Training context length.</summary>
        public static string ContextLength(string arch) => arch + ".context_length";

        /// <summary>Hidden size.</summary>
        public static string EmbeddingLength(string arch) => arch + ".embedding_length";

        /// <summary>Number of transformer blocks.</summary>
        public static string BlockCount(string arch) => arch + ".block_count";

        /// <summary>FFN inner size.</summary>
        public static string FeedForwardLength(string arch) => arch + ".feed_forward_length";

        /// <summary>Vocabulary size, when stored.</summary>
        public static string VocabSize(string arch) => arch + ".vocab_size";

        /// <summary>Query heads.</summary>
        public static string HeadCount(string arch) => arch + ".attention.head_count";

        /// <summary>Key/value heads.</summary>
        public static string HeadCountKv(string arch) => arch + ".attention.head_count_kv";

        /// <summary>Key head size.</summary>
        public static string KeyLength(string arch) => arch + ".attention.key_length";

        /// <summary>Value head size.</summary>
        public static string ValueLength(string arch) => arch + ".attention.value_length";

        /// <summary>RMSNorm epsilon.</summary>
        public static string RmsEpsilon(string arch) => arch + ".attention.layer_norm_rms_epsilon";

        /// <summary>Sliding window size.</summary>
        public static string SlidingWindow(string arch) => arch + ".attention.sliding_window";

        /// <summary>Rotary dimensions.</summary>
        public static string RopeDimensionCount(string arch) => arch + ".rope.dimension_count";

        /// <summary>RoPE base frequency θ.</summary>
        public static string RopeFreqBase(string arch) => arch + ".rope.freq_base";

        /// <summary>RoPE scaling type.</summary>
        public static string RopeScalingType(string arch) => arch + ".rope.scaling.type";

        /// <summary>RoPE scaling factor.</summary>
        public static string RopeScalingFactor(string arch) => arch + ".rope.scaling.factor";

        /// <summary>Original context length for RoPE scaling.</summary>
        public static string RopeScalingOriginalContext(string arch) => arch + ".rope.scaling.original_context_length";

        /// <summary>RoPE attention factor (LongRoPE).</summary>
        public static string RopeScalingAttnFactor(string arch) => arch + ".rope.scaling.attn_factor";
    }
}
