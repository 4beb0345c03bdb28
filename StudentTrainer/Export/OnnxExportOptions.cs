namespace Distill.StudentTrainer.Export;

/// <summary>Choices of <see cref="OnnxExporter"/>.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>
    /// Adds Optimum-style inputs <c>past_key_values.{i}.key|value</c> (B, n_kv_heads, past, head_dim), concatenated
    /// before the new keys and values, and outputs <c>present.{i}.key|value</c>. <c>attention_mask</c> then covers
    /// past + new positions. Fed empty (past = 0), the logits equal those of the plain export. On by default: it is the
    /// layout TeacherServer's prefix cache and generation use.
    /// </summary>
    public bool IncludeEmptyPastKeyValues { get; init; } = true;

    /// <summary>
    /// The dtype of <c>model.safetensors</c> (<c>float32</c>, <c>float16</c>, <c>bfloat16</c>); null: the student's own
    /// (its config's <c>torch_dtype</c>). model.onnx holds the same values in float32.
    /// </summary>
    public string? WeightsDtype { get; init; }
}
