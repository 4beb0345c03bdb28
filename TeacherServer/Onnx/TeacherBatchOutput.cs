using Microsoft.ML.OnnxRuntime;

namespace Distill.TeacherServer.Onnx;

/// <summary>The appended outputs of one run, read in place from ORT's buffers until disposed.</summary>
/// <param name="width">T, the padded sequence length of the batch.</param>
public sealed class TeacherBatchOutput(IDisposableReadOnlyCollection<OrtValue> values, int width, int k) : IDisposable
{
    public int Width => width;

    public int K => k;

    /// <summary>[B,T,k] row-major.</summary>
    public ReadOnlySpan<int> TopKIds => values.ElementAt(0).GetTensorDataAsSpan<int>();

    /// <summary>[B,T,k] row-major.</summary>
    public ReadOnlySpan<float> TopKLogprobs => values.ElementAt(1).GetTensorDataAsSpan<float>();

    /// <summary>[B,T].</summary>
    public ReadOnlySpan<float> NextLogprobs => values.ElementAt(2).GetTensorDataAsSpan<float>();

    /// <summary>[B,V]; only when the run asked for it.</summary>
    public ReadOnlySpan<float> LastLogits => values.Count > 3
        ? values.ElementAt(3).GetTensorDataAsSpan<float>()
        : throw new InvalidOperationException("The run did not fetch the last-position logits.");

    public int VocabSize => values.Count > 3
        ? (int)values.ElementAt(3).GetTensorTypeAndShape().Shape[1]
        : throw new InvalidOperationException("The run did not fetch the last-position logits.");

    public void Dispose() => values.Dispose();
}
