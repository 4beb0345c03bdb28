namespace Distill.StudentTrainer.Export;

/// <summary>The dimensions and options of a Llama-family model (llama, mistral, qwen2, qwen3) that <see cref="LlamaOnnxGraph"/> needs.</summary>
public sealed record LlamaGraphShape
{
    /// <summary>Rows of <c>model.embed_tokens.weight</c>; the logits' width.</summary>
    public required int VocabSize { get; init; }

    /// <summary>Width of the residual stream (hidden_size).</summary>
    public required int HiddenSize { get; init; }

    /// <summary>Decoder layers (num_hidden_layers).</summary>
    public required int Layers { get; init; }

    /// <summary>Query heads (num_attention_heads).</summary>
    public required int AttentionHeads { get; init; }

    /// <summary>Key and value heads (num_key_value_heads); divides <see cref="AttentionHeads"/>.</summary>
    public required int KeyValueHeads { get; init; }

    /// <summary>Width of one head (head_dim, or hidden_size / num_attention_heads when the config has none); even.</summary>
    public required int HeadDim { get; init; }

    /// <summary>The ε added to the mean square in every RMSNorm (rms_norm_eps).</summary>
    public required float RmsNormEps { get; init; }

    /// <summary>
    /// The rotary inverse frequencies, <see cref="HeadDim"/>/2 of them, with any rope_scaling already applied: the angle of
    /// dimension i (and i + HeadDim/2) at position p is p · InverseFrequencies[i].
    /// </summary>
    public required float[] InverseFrequencies { get; init; }

    /// <summary>Qwen3: an RMSNorm over head_dim on every query and key head (q_norm, k_norm) before the rotation.</summary>
    public bool QkNorm { get; init; }

    /// <summary>The logits come from <c>model.embed_tokens.weight</c> (tie_word_embeddings); there is no <c>lm_head.weight</c>.</summary>
    public bool TiedHead { get; init; }
}
