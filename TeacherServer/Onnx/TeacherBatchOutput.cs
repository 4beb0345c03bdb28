using Microsoft.ML.OnnxRuntime;

namespace Distill.TeacherServer.Onnx;

/// <summary>
/// The outputs of one run, read in place from ORT's buffers until disposed: the log-probs of every position (from
/// which the top-k of the positions asked for is selected), the next-token log-probs, then, when asked for, the
/// last-position logits and the keys and values of the new positions (<see cref="KeyValues"/>).
/// </summary>
/// <param name="width">S, the padded count of new positions per row.</param>
/// <param name="keyValueOffset">Where the new positions start along axis 2 of each keys-and-values output: 0 for distill_new.*, the fed past width for present.*.</param>
public sealed class TeacherBatchOutput : IDisposable
{
    private readonly OrtValue[] values;
    private readonly bool hasLastLogits;
    private readonly int keyValueCount;

    public TeacherBatchOutput(IDisposableReadOnlyCollection<OrtValue> results, int width, bool hasLastLogits, int keyValueCount, int keyValueOffset)
    {
        values = [.. results];
        Width = width;
        VocabSize = (int)values[0].GetTensorTypeAndShape().Shape[^1];
        this.hasLastLogits = hasLastLogits;
        this.keyValueCount = keyValueCount;
        KeyValueOffset = keyValueOffset;
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

    /// <summary>Where the new positions start along axis 2 of <see cref="KeyValues"/>.</summary>
    public int KeyValueOffset { get; }

    /// <summary>
    /// The keys or values of past_key_values input <paramref name="input"/>: [B,H,W,D] row-major with the run's new
    /// positions at [<see cref="KeyValueOffset"/>, <see cref="KeyValueOffset"/> + S) along W.
    /// </summary>
    public ReadOnlySpan<float> KeyValues(int input, out int width)
    {
        if (input < 0 || input >= keyValueCount)
        {
            throw new InvalidOperationException("The run did not fetch the keys and values of that input.");
        }
        var value = values[values.Length - keyValueCount + input];
        width = (int)value.GetTensorTypeAndShape().Shape[2];
        return value.GetTensorDataAsSpan<float>();
    }

    public void Dispose()
    {
        foreach (var value in values)
        {
            value.Dispose();
        }
    }
}
