namespace Distill.StudentTrainer.Export;

/// <summary>Choices of <see cref="OnnxExporter"/>.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>
    /// Adds Optimum-style inputs <c>past_key_values.{i}.key|value</c> (B, n_head, past, head_size), concatenated
    /// before the new keys and values, and outputs <c>present.{i}.key|value</c>. <c>attention_mask</c> then covers
    /// past + new positions. Fed empty (past = 0), the logits equal those of the plain export.
    /// </summary>
    public bool IncludeEmptyPastKeyValues { get; init; }
}
