// Every module that works with matrices also needs swift-numerics' `Real` (elementary
// functions) and `Complex`; re-exporting them saves each chapter two imports.
@_exported import ComplexModule
@_exported import RealModule
