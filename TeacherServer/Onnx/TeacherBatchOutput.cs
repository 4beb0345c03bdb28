using Microsoft.ML.OnnxRuntime;

namespace Distill.TeacherServer.Onnx;

/// <summary>
/// The outputs of one run, read in place from ORT's buffers until disposed: the log-probs of every position (from
/// which the top-k of the positions asked for is selected), the next-token log-probs, then, when asked for, the
/// last-position logits and the present.* values (which <see cref="TakePresents"/> hands over).
/// </summary>
/// <param name="width">S, the padded count of new positions per row.</param>
public sealed class TeacherBatchOutput : IDisposable
{
    private readonly OrtValue[] values;
    private readonly bool hasLastLogits;
    private readonly int presentCount;
    private bool presentsTaken;

    public TeacherBatchOutput(IDisposableReadOnlyCollection<OrtValue> results, int width, bool hasLastLogits, int presentCount)
    {
        values = [.. results];
        Width = width;
        VocabSize = (int)values[0].GetTensorTypeAndShape().Shape[^1];
        this.hasLastLogits = hasLastLogits;
        this.presentCount = presentCount;
    }

    public int Width { get; }

    /// <summary>V: the served vocabulary, the last axis of the log-probs and of the last-position logits.</summary>
    public int VocabSize { get; }

    /// <summary>[B,S,V] row-major: log_softmax(logits/τ).</summary>
    public ReadOnlySpan<float> Logprobs => values[0].GetTensorDataAsSpan<float>();

    /// <summary>[B,S].</summary>
    public ReadOnlySpan<float> NextLogprobs => values[1].GetTensorDataAsSpan<float>();

    /// <summary>[B,V]; only when the run asked for it.</summary>
    public ReadOnlySpan<float> LastLogits => hasLastLogits
        ? values[2].GetTensorDataAsSpan<float>()
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
