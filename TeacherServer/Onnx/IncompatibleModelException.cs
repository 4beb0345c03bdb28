namespace Distill.TeacherServer.Onnx;

/// <summary>A model folder that cannot be served; the message says why, for the log.</summary>
public sealed class IncompatibleModelException(string message, Exception? inner = null) : Exception(message, inner);
