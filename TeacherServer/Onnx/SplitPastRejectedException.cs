namespace Distill.TeacherServer.Onnx;

/// <summary>The graph rewritten by <see cref="SplitPastGraph"/> could not be loaded or disagreed with the whole pass; the model is served as exported instead.</summary>
public sealed class SplitPastRejectedException(string message, Exception? inner = null) : Exception(message, inner);
