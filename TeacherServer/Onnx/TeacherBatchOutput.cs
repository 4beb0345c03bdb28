using Microsoft.ML.OnnxRuntime;

namespace Distill.TeacherServer.Onnx;

/// <summary>
/// The outputs of one run, read in place from ORT's buffers until disposed: top-k ids, log-probs, next-token log-probs,
/// then, when asked for, the last-position logits and the present.* values (which <see cref="TakePresents"/> hands over).
/// </summary>
/// <param name="width">S, the padded count of new positions per row.</param>
public sealed class TeacherBatchOutput : IDisposable
{
    private readonly OrtValue[] values;
    private readonly bool hasLastLogits;
    private readonly int presentCount;
    private bool presentsTaken;

    public TeacherBatchOutput(IDisposableReadOnlyCollection<OrtValue> results, int width, int k, bool hasLastLogits, int presentCount)
    {
        values = [.. results];
        Width = width;
        K = k;
        this.hasLastLogits = hasLastLogits;
        this.presentCount = presentCount;
    }

    public int Width { get; }

    public int K { get; }

    /// <summary>[B,S,k] row-major.</summary>
    public ReadOnlySpan<int> TopKIds => values[0].GetTensorDataAsSpan<int>();

    /// <summary>[B,S,k] row-major.</summary>
    public ReadOnlySpan<float> TopKLogprobs => values[1].GetTensorDataAsSpan<float>();

    /// <summary>[B,S].</summary>
    public ReadOnlySpan<float> NextLogprobs => values[2].GetTensorDataAsSpan<float>();

    /// <summary>[B,V]; only when the run asked for it.</summary>
    public ReadOnlySpan<float> LastLogits => hasLastLogits
        ? values[3].GetTensorDataAsSpan<float>()
        : throw new InvalidOperationException("The run did not fetch the last-position logits.");

    public int VocabSize => hasLastLogits
        ? (int)values[3].GetTensorTypeAndShape().Shape[1]
        : throw new InvalidOperationException("The run did not fetch the last-position logits.");

    /// <summary>The present.* values in past_key_values order; the caller owns them from now on.</summary>
    public OrtValue[] TakePresents()
    {
        if (presentCount == 0 || presentsTaken)
        {
            throw new InvalidOperationException("The run did not fetch the present values, or they were taken.");
        }
        presentsTaken = true;
        return values[^presentCount..];
    }

    public void Dispose()
    {
        var owned = presentsTaken ? values.Length - presentCount : values.Length;
        for (var i = 0; i < owned; i++)
        {
            values[i].Dispose();
        }
    }
}
