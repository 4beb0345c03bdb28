namespace Distill.TeacherServer.Tests; public class SmokeTests { [Fact] public void Loads() => Assert.True(true); }
